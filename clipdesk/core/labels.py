"""Label sets and their text vectors, shared by zero-shot tagging and evaluation.

A :class:`LabelSet` is what a person typed into the label editor: labels (Chinese or English),
optional descriptions per label (several sentences, as in prompt ensembles), the templates that
turn them into sentences, and an optional "others" label that absorbs photos matching none.

The vector of a label (:func:`label_vectors`) is the mean of the L2-normalised text embeddings of
every template filled with every *subject* of the label (its name, then each description),
normalised again (the usual prompt-ensemble classifier). Vectors are cached in memory per model
id and label-set content (:class:`LabelVectorCache`), so previewing, re-tagging and evaluating
with the same labels encode the texts once.

Text formats (:func:`parse_label_lines`, :func:`load_label_file`)::

    # one label per line; descriptions after "|"; "name = prompt" puts a translation in the
    # templates instead of the name; a part starting with ">" is a whole sentence, used as it
    # is (a CuPL description: no template around it)
    猫 | 一只猫 | 趴在沙发上的小猫
    dog | a dog playing | a puppy | > A dog is a furry pet with four legs and a wagging tail.
    红色 = red

or a JSON file ``{"labels": ["cat", {"name": "dog", "descriptions": ["a puppy"],
"sentences": ["A dog is ..."]}, {"name": "红色", "prompt": "red"}],
"templates": "en-ensemble" | ["a photo of a {}."], "others": true | "misc"}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core import prompts
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.languages import contains_cjk
from clipdesk.core.scores import COSINE, ScoreScale, scale_of

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken
    from clipdesk.core.models.base import Encoder

log = logging.getLogger(__name__)

OTHERS_NAME = {"en": "others", "zh": "其他"}
# what the "others" vector is made of when the label set does not say: generic subjects
OTHERS_SUBJECTS = {
    "en": ("object", "thing", "scene", "background"),
    "zh": ("物体", "东西", "场景", "背景"),
}
TEXT_BATCH = 256  # texts per encode call (a cancel is noticed between calls)
SENTENCE = ">"  # in the label lines, a whole sentence (no template around it)


class LabelError(ClipdeskError):
    """A label set that cannot be used (no labels, duplicates, an unreadable label file)."""


@dataclass(frozen=True)
class Label:
    """One label. ``name`` is the tag (or class) it stands for; ``prompt``, when given, is put
    into the templates instead of the name (a translation: ``Label("红色", prompt="red")`` for an
    English model); ``descriptions`` are extra phrasings averaged into its vector; ``templates``,
    when given, replace the label set's for this label (e.g. English templates for the English
    labels of a mostly Chinese set); ``sentences`` are whole sentences averaged in as they are
    (descriptions written by a language model, as CuPL makes them)."""

    name: str
    descriptions: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    prompt: str | None = None
    sentences: tuple[str, ...] = ()  # whole sentences, used without templates (CuPL's)

    @property
    def subjects(self) -> tuple[str, ...]:
        """What the templates are filled with: the prompt or the name (``_`` read as a space),
        then each description, without duplicates."""
        first = self.prompt if self.prompt else self.name.replace("_", " ")
        return tuple(dict.fromkeys((first.strip(), *self.descriptions)))


@dataclass(frozen=True)
class LabelSet:
    """Labels, templates and the optional "others" label; see the module docstring.

    ``others`` is the name of the "others" label (``None``: no such label). It comes last in
    :attr:`names`; its vector is made of ``others_descriptions`` (generic words in the labels'
    language when empty) filled into the same templates.
    """

    labels: tuple[Label, ...]
    templates: tuple[str, ...] = ("a photo of a {}.",)
    others: str | None = None
    others_descriptions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.labels:
            raise LabelError("Give at least one label.")
        names = [label.name for label in self.labels]
        if any(not n.strip() for n in names):
            raise LabelError("A label cannot be empty.")
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise LabelError(f"The label {dup!r} is given twice.")
        if self.others is not None and self.others in names:
            raise LabelError(f"{self.others!r} is both a label and the name of 'others'.")
        prompts.check_templates(self.templates)
        for label in self.labels:
            if label.templates:
                prompts.check_templates(label.templates)

    @classmethod
    def build(
        cls,
        labels: Iterable[str | Label],
        *,
        templates: str | Sequence[str] = prompts.AUTO,
        others: bool | str = False,
    ) -> LabelSet:
        """A label set from names (or :class:`Label`); ``templates`` is a shipped set's key
        (``"auto"``: the basic set in the labels' language) or the templates themselves;
        ``others=True`` adds "others" (or 其他 for Chinese labels). With ``"auto"`` a set that
        mixes languages gives each label the basic templates of its own language."""
        items = tuple(lb if isinstance(lb, Label) else Label(lb.strip()) for lb in labels)
        language = "zh" if any(contains_cjk(lb.prompt or lb.name) for lb in items) else "en"
        if isinstance(templates, str):
            chosen = prompts.template_set(templates, language).templates
            if templates == prompts.AUTO:
                english = prompts.template_set(prompts.AUTO, "en").templates
                items = tuple(
                    replace(lb, templates=lb.templates or english)
                    if language == "zh" and not contains_cjk(lb.prompt or lb.name) else lb
                    for lb in items)
        else:
            chosen = prompts.check_templates(templates)
        others_name = (OTHERS_NAME[language] if others is True else others) or None
        return cls(items, chosen, others_name)

    @property
    def names(self) -> tuple[str, ...]:
        """Label names in vector order, "others" last when present."""
        base = tuple(label.name for label in self.labels)
        return (*base, self.others) if self.others is not None else base

    @property
    def others_index(self) -> int | None:
        return len(self.labels) if self.others is not None else None

    @property
    def language(self) -> str:
        """``"zh"`` when any label (its prompt, or name) is written in Chinese (or Japanese,
        Korean), else ``"en"``."""
        return "zh" if any(contains_cjk(lb.prompt or lb.name) for lb in self.labels) else "en"

    def prompts(self) -> list[tuple[str, ...]]:
        """The sentences of each label (templates x subjects, then its whole sentences), in
        :attr:`names` order."""
        out = [(*(prompts.fill(t, s) for t in label.templates or self.templates
                  for s in label.subjects), *label.sentences) for label in self.labels]
        if self.others is not None:
            subjects = self.others_descriptions or OTHERS_SUBJECTS[self.language]
            out.append(tuple(prompts.fill(t, s) for t in self.templates for s in subjects))
        return out

    def content_hash(self) -> str:
        """A hash of everything that changes the vectors (names, descriptions, templates)."""
        data = {
            "labels": [[lb.name, list(lb.subjects), list(lb.templates), list(lb.sentences)]
                       for lb in self.labels],
            "templates": list(self.templates),
            "others": self.others,
            "others_descriptions": list(self.others_descriptions),
        }
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()


def parse_label_lines(text: str) -> tuple[Label, ...]:
    """Labels from the editor's text: one per line, ``name | description | ...`` or
    ``name = prompt | description | ...``; blank lines and ``#`` comments ignored; a label given
    twice keeps its first line."""
    out: dict[str, Label] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        name = parts[0]
        descriptions = tuple(p for p in parts[1:] if p and not p.startswith(SENTENCE))
        sentences = tuple(p[1:].strip() for p in parts[1:] if p.startswith(SENTENCE)
                          and p[1:].strip())
        prompt = None
        if "=" in name:
            name, prompt = (x.strip() for x in name.split("=", 1))
        if name and name not in out:
            out[name] = Label(name, descriptions, prompt=prompt or None, sentences=sentences)
    return tuple(out.values())


def label_line(label: Label) -> str:
    """The editor's line of ``label`` (what :func:`parse_label_lines` reads back)."""
    name = f"{label.name} = {label.prompt}" if label.prompt else label.name
    return " | ".join((name, *label.descriptions, *(f"{SENTENCE} {s}" for s in label.sentences)))


def label_file_data(label_set: LabelSet) -> dict[str, Any]:
    """The JSON label file of ``label_set`` (what :func:`load_label_file` reads back): each
    label with its prompt, descriptions and whole sentences, the templates and "others"."""
    labels: list[Any] = []
    for lb in label_set.labels:
        item: dict[str, Any] = {"name": lb.name}
        if lb.prompt:
            item["prompt"] = lb.prompt
        if lb.descriptions:
            item["descriptions"] = list(lb.descriptions)
        if lb.sentences:
            item["sentences"] = list(lb.sentences)
        labels.append(item if len(item) > 1 else lb.name)
    return {"labels": labels, "templates": list(label_set.templates),
            "others": label_set.others or False}


def save_label_file(label_set: LabelSet, path: Path, *,
                    templates: str | Sequence[str] | None = None) -> None:
    """Write ``label_set`` as a JSON label file (UTF-8, Chinese as is); ``templates`` keeps a
    template choice (``"auto"``, a set's key) instead of the templates it gave."""
    data = label_file_data(label_set)
    if templates is not None:
        data["templates"] = templates if isinstance(templates, str) else list(templates)
    try:
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    except OSError as exc:
        raise LabelError(f"Cannot write the label file {path}: {exc}") from exc


def load_label_file(path: Path) -> tuple[tuple[Label, ...], dict[str, Any]]:
    """Labels from a text file (see :func:`parse_label_lines`) or a JSON file; the second value
    holds the JSON file's ``templates`` and ``others`` settings when given (else empty)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"Cannot read the label file {path}: {exc}") from exc
    if path.suffix.lower() != ".json":
        return parse_label_lines(text), {}
    try:
        data = json.loads(text)
        raw = data["labels"] if isinstance(data, dict) else data
        labels = tuple(
            Label(str(item)) if isinstance(item, str)
            else Label(str(item["name"]), tuple(str(d) for d in item.get("descriptions", ())),
                       prompt=str(item["prompt"]) if item.get("prompt") else None,
                       sentences=tuple(str(d) for d in item.get("sentences", ())))
            for item in raw
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LabelError(f"The label file {path} is not valid label JSON: {exc}") from exc
    settings = {k: data[k] for k in ("templates", "others") if isinstance(data, dict) and k in data}
    return labels, settings


# -- vectors -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LabelVectors:
    """The unit vectors of a label set under one model (rows in ``names`` order)."""

    model_id: str
    names: tuple[str, ...]
    vectors: np.ndarray  # float32 (n_labels, dim), rows L2-normalised
    logit_scale: float  # the model's softmax temperature (exp of its learnt logit scale)
    others_index: int | None = None
    scale: ScoreScale = COSINE  # SigLIP's: a probability per label (sigmoid), not a softmax


def mean_unit_vector(embeddings: np.ndarray) -> np.ndarray:
    """Normalise each row, average, normalise again (float32). Rows of zeros are refused."""
    rows = np.asarray(embeddings, dtype=np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    if rows.size == 0 or np.any(norms == 0):
        raise LabelError("A label produced an empty text embedding.")
    mean = (rows / norms).mean(axis=0)
    return np.asarray(mean / np.linalg.norm(mean), dtype=np.float32)


class LabelVectorCache:
    """Thread-safe in-memory LRU of :class:`LabelVectors` by (model id, label-set hash)."""

    def __init__(self, max_entries: int = 64) -> None:
        self._max = max_entries
        self._items: OrderedDict[tuple[str, str], LabelVectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_id: str, label_set: LabelSet) -> LabelVectors | None:
        key = (model_id, label_set.content_hash())
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, label_set: LabelSet, vectors: LabelVectors) -> None:
        key = (vectors.model_id, label_set.content_hash())
        with self._lock:
            self._items[key] = vectors
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


DEFAULT_CACHE = LabelVectorCache()


def label_vectors(
    encoder: Encoder,
    label_set: LabelSet,
    *,
    cache: LabelVectorCache | None = DEFAULT_CACHE,
    token: CancelToken | None = None,
) -> LabelVectors:
    """The vectors of ``label_set`` under ``encoder`` (from ``cache`` when there); every distinct
    sentence is encoded once, in batches of :data:`TEXT_BATCH` (``token`` checked between)."""
    model_id = encoder.info.model_id
    if cache is not None:
        found = cache.get(model_id, label_set)
        if found is not None:
            return found
    per_label = label_set.prompts()
    texts = list(dict.fromkeys(t for sentences in per_label for t in sentences))
    embedded = encode_texts(encoder, texts, token=token)
    row = {t: i for i, t in enumerate(texts)}
    matrix = np.stack([mean_unit_vector(embedded[[row[t] for t in sentences]])
                       for sentences in per_label])
    result = LabelVectors(model_id, label_set.names, matrix, float(encoder.logit_scale),
                          label_set.others_index, scale_of(encoder))
    log.debug("label vectors for %d labels (%d texts) with %s", len(per_label), len(texts),
              model_id)
    if cache is not None:
        cache.put(label_set, result)
    return result


def encode_texts(
    encoder: Encoder, texts: Sequence[str], *, token: CancelToken | None = None,
    batch: int = TEXT_BATCH,
) -> np.ndarray:
    """``encoder.encode_texts`` in batches, checking ``token`` between them (float32 rows)."""
    parts = []
    for start in range(0, len(texts), batch):
        if token is not None:
            token.check()
        parts.append(np.asarray(encoder.encode_texts(texts[start:start + batch]),
                                dtype=np.float32))
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)
