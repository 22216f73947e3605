"""``clipdesk-cli tag`` and ``clipdesk-cli eval``: zero-shot tagging and model evaluation.

Registered by :mod:`clipdesk.cli` (``add_parsers`` and ``COMMANDS``); the work is done by
:mod:`clipdesk.core.tagging` and :mod:`clipdesk.core.evaluation`, so the numbers printed here are
the numbers the GUI panels show.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from clipdesk.cli_io import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    cancel_on_interrupt,
    json_text,
    number,
    say,
)
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import CancelToken

T = TypeVar("T")

if TYPE_CHECKING:
    from clipdesk.cli_io import ProgressLine
    from clipdesk.core.engine import Engine
    from clipdesk.core.labels import LabelSet


def add_parsers(sub: Any) -> None:
    """Add the ``tag``, ``eval`` and ``describe`` sub-commands to the CLI's sub-parsers."""
    _add_describe_parser(sub)
    p = sub.add_parser("tag", help="tag photos with your own labels (zero-shot)")
    p.add_argument("labels", nargs="*", help='labels, e.g. 猫 狗 "beach|sand and sea"')
    p.add_argument("--descriptions", type=Path, metavar="CUPL.json",
                   help="label descriptions (CuPL's JSON) averaged into the labels' vectors")
    p.add_argument("--check-with", metavar="VLM",
                   help="keep only the tags a vision-language model confirms (it looks at each "
                        "tagged photo): vlm:<repository> or a model folder")
    p.add_argument("--download", action="store_true",
                   help="download the --check-with model when it is not here")
    p.add_argument("--labels-file", type=Path,
                   help="labels, one per line (name | description | ...), or a JSON file")
    p.add_argument("--templates", help="template set (en-basic, en-ensemble, zh-basic, "
                   "zh-ensemble, plain, auto) or a file with one template per line")
    p.add_argument("--others", action="store_true", help='add an "others" label')
    p.add_argument("--model", help='model id, "auto" (by the labels\' language) or "A+B" '
                   "(the one of the two that reads them); default: the search mode setting")
    p.add_argument("--folder", type=Path, help="only photos under this folder")
    p.add_argument("--min-prob", type=number(float, 0, 1),
                   help="tag when the probability is at least this (0 to 1)")
    p.add_argument("--min-cos", type=number(float, -1, 1),
                   help="tag when the cosine is at least this (-1 to 1)")
    p.add_argument("--any", action="store_true",
                   help="with both thresholds: either one suffices (default: both needed)")
    p.add_argument("--max-tags", type=number(int, 1, 10_000),
                   help="at most this many tags per photo")
    p.add_argument("--export", type=Path, help="write the tags of the tagged photos as CSV")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="measure models on labelled folders or a caption file")
    p.add_argument("dataset", type=Path, help="a folder of class folders, or a caption JSONL")
    p.add_argument("--models", help="comma-separated model ids (default: the configured model)")
    p.add_argument("--threshold", default="0.25",
                   help="cosine threshold, or one per model: 0.2,0.25 (default 0.25)")
    p.add_argument("--kind", choices=["auto", "classes", "captions"], default="auto")
    p.add_argument("--templates", help="template set or file (class folders)")
    others = p.add_mutually_exclusive_group()
    others.add_argument("--others", dest="others", action="store_true", default=None,
                        help='add an "others" label (default: when there is a negatives folder)')
    others.add_argument("--no-others", dest="others", action="store_false")
    p.add_argument("--negatives", help="name of the negatives folder (default: recognised)")
    p.add_argument("--labels-file", type=Path,
                   help="prompts for the class folders (name = prompt | description ...), "
                   "for every model")
    p.add_argument("--model-labels", action="append", default=[], metavar="MODEL=FILE",
                   help="a labels file for one model (e.g. English prompts for an English "
                   "model); repeatable")
    p.add_argument("--store", choices=["evaluation", "library"], default="evaluation",
                   help="embed into the separate evaluation store (default) or the library")
    p.add_argument("--descriptions", type=Path, metavar="CUPL.json",
                   help="class descriptions (CuPL's JSON, e.g. from 'clipdesk-cli describe'): "
                        "the classes are scored with them, and compared with templates only")
    p.add_argument("--check-with", metavar="VLM",
                   help="a vision-language model checks every hit at the threshold (class "
                        "folders): precision/recall/F1 before and after, for each model and "
                        "the union")
    p.add_argument("--download", action="store_true",
                   help="download the --check-with model when it is not here")
    p.add_argument("--report", type=Path, help="write a Markdown report")
    p.add_argument("--csv", type=Path, help="write every number as CSV")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")


def _add_describe_parser(sub: Any) -> None:
    p = sub.add_parser("describe", help="descriptions of labels written by a local language "
                                        "model (CuPL), as CuPL's JSON")
    p.add_argument("labels", nargs="*", help="labels, e.g. 猫 狗 beach")
    p.add_argument("--labels-file", type=Path, help="labels from a file (one per line, or JSON)")
    p.add_argument("--with", dest="writer", required=True, metavar="LLM",
                   help="llm:<repository> (e.g. llm:Qwen/Qwen2.5-0.5B-Instruct) or a folder")
    p.add_argument("--per-question", type=number(int, 1, 20), default=2,
                   help="answers per CuPL question (5 questions per label)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="write CuPL's JSON here (default: print it)")
    p.add_argument("--download", action="store_true",
                   help="download the model when it is not here")
    p.add_argument("--json", action="store_true", help="print the JSON (also with --out)")


def _cmd_describe(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    from clipdesk.core.descriptions.cupl import save_descriptions
    from clipdesk.core.labels import LabelError, load_label_file, parse_label_lines

    labels = [lb.name for lb in parse_label_lines("\n".join(args.labels))]
    if args.labels_file is not None:
        labels += [lb.name for lb in load_label_file(args.labels_file)[0] if lb.name not in labels]
    if not labels:
        raise LabelError("Give labels to describe, e.g.: clipdesk-cli describe 猫 dog --with ...")
    found = _interruptible(progress, "writing the descriptions", lambda token: (
        engine.describe_labels(labels, args.writer, per_question=args.per_question,
                               seed=args.seed, download=args.download, token=token,
                               progress=progress)))
    if found is None:
        return EXIT_INTERRUPTED
    if args.out is not None:
        save_descriptions(found, args.out)
        if not args.json:
            say(f"{sum(len(v) for v in found.values())} descriptions of {len(found)} labels "
                f"written to {args.out}")
    if args.out is None or args.json:
        print(json_text(found))
    return EXIT_OK


def _interruptible(progress: ProgressLine, what: str, job: Callable[[CancelToken], T]
                   ) -> T | None:
    """``job(token)`` with Ctrl+C as a cancel; ``None`` (and a line saying so) when it was
    cancelled. The progress line is closed either way."""
    from clipdesk.core.jobs import Cancelled

    token = CancelToken()
    with cancel_on_interrupt(token):
        try:
            return job(token)
        except Cancelled:
            say(f"clipdesk-cli: {what} cancelled", error=True)
            return None
        finally:
            progress.close()


def _label_set(args: argparse.Namespace) -> LabelSet:
    from clipdesk.core.labels import LabelError, LabelSet, load_label_file, parse_label_lines
    from clipdesk.core.prompts import template_choice

    labels = list(parse_label_lines("\n".join(args.labels)))
    settings: dict[str, Any] = {}
    if args.labels_file is not None:
        from_file, settings = load_label_file(args.labels_file)
        labels += [lb for lb in from_file if lb.name not in {x.name for x in labels}]
    if not labels:
        raise LabelError("Give labels to tag with, e.g.: clipdesk-cli tag cat dog beach")
    others = True if args.others else settings.get("others", False)
    label_set = LabelSet.build(labels, templates=template_choice(
        args.templates, settings.get("templates", "auto")), others=others)
    if args.descriptions is not None:
        from clipdesk.core.descriptions.cupl import load_descriptions, with_descriptions

        label_set, unknown = with_descriptions(label_set, load_descriptions(args.descriptions))
        if unknown:
            say(f"note: the descriptions of {', '.join(unknown)} are not for these labels",
                error=True)
    return label_set


def _cmd_tag(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    from clipdesk.core.tagging import Combine, TagRule

    label_set = _label_set(args)
    default = args.min_prob is None and args.min_cos is None  # then TagRule's default
    rule = TagRule(TagRule().min_prob if default else args.min_prob, args.min_cos,
                   Combine.ANY if args.any else Combine.ALL, args.max_tags)
    mode = args.model or engine.settings.search_mode
    _model_id, mismatch = engine.tag_model(label_set, mode)
    if mismatch is not None:  # before the run: Ctrl+C still saves the photos from it
        say(f"warning: {mismatch.sentence(_model_name(engine))}", error=True)
    token = CancelToken()
    with cancel_on_interrupt(token):
        try:
            run = engine.tag(label_set, rule, mode, folder=args.folder,
                             export=args.export, check_with=args.check_with,
                             download=args.download, token=token, progress=progress)
        finally:
            progress.close()
    if run.notice:
        say(f"note: {run.notice}", error=True)
    model_id, report = run.model_id, run.report
    out = {
        "model": model_id, "labels": list(label_set.names), "photos": report.photos,
        "written": report.written, "tagged": report.tagged, "missing": report.missing,
        "counts": dict(report.counts), "cancelled": report.cancelled,
        "replaced": report.replaced,
        "export": str(args.export) if args.export is not None else None,
        "change": report.change_id,
        "language_warning": run.mismatch.sentence() if run.mismatch is not None else None,
        "check": None if run.check is None else {
            "model": args.check_with, "checked": run.check.checked, "asked": run.check.asked,
            "rejected": run.check.rejected, "seconds": round(run.check.seconds, 3)},
    }
    if args.json:
        print(json_text(out))
    else:
        say(f"{model_id}: {report.written} photos tagged ({report.tagged} with a label)")
        if report.replaced:
            say(f"  replaced {report.replaced} earlier automatic tags of these labels; other "
                f"labels' tags and your own are kept")
        if run.check is not None:
            say(f"  the check rejected {run.check.rejected} of {run.check.checked} tags "
                f"({run.check.asked} photos looked at, {run.check.seconds:.1f} s)")
        for label, count in report.counts.items():
            say(f"  {count:6d}  {label}")
        if report.missing:
            say(f"{report.missing} photos have no {model_id} vectors: index them with it first",
                error=True)
        if report.change_id is not None:
            say("undo this with: clipdesk-cli tags undo")
    return EXIT_INTERRUPTED if report.cancelled else EXIT_OK


def _model_name(engine: Engine) -> Callable[[str], str]:
    def name(model_id: str) -> str:
        try:
            return engine.model_info(model_id).display_name
        except ClipdeskError:
            return model_id

    return name


def _thresholds(text: str, models: Sequence[str]) -> dict[str, float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise ClipdeskError(f"Not a threshold: {text} (use e.g. 0.25 or 0.2,0.25).") from exc
    if any(not -1.0 <= v <= 1.0 for v in values):
        raise ClipdeskError(f"A threshold is a cosine, from -1 to 1: {text}")
    if len(values) == 1:
        values = values * len(models)
    if len(values) != len(models):
        raise ClipdeskError(f"Give one threshold, or one per model ({len(models)}).")
    return dict(zip(models, values, strict=True))


def _label_files(args: argparse.Namespace, models: Sequence[str]) -> dict[str, Path]:
    """The labels file of each model, from ``--labels-file`` and ``--model-labels``."""
    files: dict[str, Path] = {}
    if args.labels_file is not None:
        files = dict.fromkeys(models, args.labels_file)
    for item in args.model_labels:
        model, sep, file = item.partition("=")
        if not sep or model.strip() not in models:
            raise ClipdeskError(f"Use --model-labels MODEL=FILE with one of the models: {item}")
        files[model.strip()] = Path(file)
    return files


def _cmd_eval(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    from clipdesk.core import evaluation as ev

    models = [m.strip() for m in (args.models or engine.settings.model_id).split(",")
              if m.strip()]
    thresholds = _thresholds(args.threshold, models)
    label_files = _label_files(args, models)
    per_model = {m: ev.label_file_texts(path) for m, path in label_files.items()}
    try:
        texts = ev.dataset_texts(args.dataset, args.kind, args.negatives or "auto")
    except ClipdeskError:  # the evaluation says what is wrong with the dataset
        texts = None
    if texts is not None:
        for mismatch in ev.language_mismatches(engine, texts, models, per_model):
            say(f"warning: {mismatch.sentence()}", error=True)
    descriptions = None
    if args.descriptions is not None:
        from clipdesk.core.descriptions.cupl import load_descriptions

        descriptions = load_descriptions(args.descriptions)
    run = _interruptible(progress, "evaluation", lambda token: engine.evaluate(
        args.dataset, models, kind=args.kind, negatives=args.negatives, label_files=label_files,
        templates=args.templates, others=args.others, store=args.store,
        descriptions=descriptions, token=token, progress=progress))
    if run is None:
        return EXIT_INTERRUPTED
    result = run.result
    not_read = {} if not isinstance(result, ev.ClassComparison) else ev.models_not_reading(
        engine.registry.get, list(result.classes), models, per_model)
    report = ev.report_dict(result, thresholds, dataset=args.dataset.name, not_read=not_read)
    if descriptions is not None:
        if run.plain is None or not isinstance(result, ev.ClassComparison):
            raise ClipdeskError("--descriptions describes classes: give class folders.")
        from clipdesk.core.evaluation.described import compare_descriptions

        report["descriptions"] = compare_descriptions(run.plain, result, report["thresholds"])
        unknown = [k for k in descriptions or {} if k not in result.classes]
        if unknown:
            say(f"note: the descriptions of {', '.join(unknown)} are not for any class of "
                "the dataset", error=True)
    if args.check_with:
        if not isinstance(result, ev.ClassComparison):
            raise ClipdeskError("--check-with checks the hits of class folders, not captions.")
        from clipdesk.core.evaluation.checked import checked_dict

        checked = _interruptible(progress, "the check", lambda token: engine.check_evaluation(
            result, report["thresholds"], args.check_with, download=args.download, token=token,
            progress=progress))
        if checked is None:
            return EXIT_INTERRUPTED
        report["checked"] = checked_dict(checked)
    if args.report is not None:
        ev.write_markdown(report, args.report)
    if args.csv is not None:
        ev.write_csv(report, args.csv)
    if args.json:
        print(json_text(report))
    else:
        for line in ev.to_markdown(report).splitlines():
            say(line)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Engine, ProgressLine], int]] = {
    "tag": _cmd_tag,
    "eval": _cmd_eval,
    "describe": _cmd_describe,
}
