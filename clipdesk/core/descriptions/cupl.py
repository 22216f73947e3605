"""CuPL's descriptions file (``{"label": ["sentence", ...]}``) and label sets with them."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from clipdesk.core.labels import LabelError, LabelSet

Descriptions = dict[str, list[str]]


def load_descriptions(path: Path) -> Descriptions:
    """A CuPL JSON file: an object of label -> list of sentences."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LabelError(f"The descriptions file {path} could not be read: {exc}") from exc
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v)
            for k, v in data.items()):
        raise LabelError(f"{Path(path).name} is not a CuPL descriptions file "
                         '({"label": ["sentence", ...], ...}).')
    return {k: [s.strip() for s in v if s.strip()] for k, v in data.items()}


def save_descriptions(descriptions: Mapping[str, Sequence[str]], path: Path) -> None:
    """Write ``descriptions`` as CuPL's JSON (UTF-8, Chinese as is), atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({k: list(v) for k, v in descriptions.items()}, f, ensure_ascii=False,
                      indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def descriptions_of(label_set: LabelSet) -> Descriptions:
    """The whole sentences of each label that has some."""
    return {lb.name: list(lb.sentences) for lb in label_set.labels if lb.sentences}


def with_descriptions(label_set: LabelSet, descriptions: Mapping[str, Sequence[str]], *,
                      replace_existing: bool = True) -> tuple[LabelSet, list[str]]:
    """``label_set`` with each label's sentences from ``descriptions`` (by name; replacing or
    adding to what it had), and the names in ``descriptions`` that are not labels of the set."""
    names = {lb.name for lb in label_set.labels}
    labels = tuple(
        replace(lb, sentences=tuple(dict.fromkeys(
            (*(() if replace_existing else lb.sentences), *descriptions[lb.name]))))
        if lb.name in descriptions else lb for lb in label_set.labels)
    return replace(label_set, labels=labels), [k for k in descriptions if k not in names]


def without_descriptions(label_set: LabelSet) -> LabelSet:
    """The same labels with templates only (for the template-only vs descriptions comparison)."""
    return replace(label_set, labels=tuple(replace(lb, sentences=()) for lb in label_set.labels))
