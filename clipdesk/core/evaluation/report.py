"""Exports of an evaluation: a JSON-ready dict, tidy CSV rows, and a Markdown report.

:func:`report_dict` is the single source: the CSV rows and the Markdown are made from it, and the
CLI prints it with ``--json``, so every export and the panels show the same numbers.

CSV columns (:data:`CSV_COLUMNS`): ``model, task, class, threshold, metric, value`` — one number
per row (tasks: ``text_to_image``, ``zero_shot``, ``image_to_image``,
``image_to_image_with_negatives``, ``caption_text_to_image``, ``caption_image_to_text``; class
``*macro*``/``*micro*`` for averages, empty for whole-dataset numbers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from clipdesk.core.display import json_text
from clipdesk.core.evaluation.checks import suggest_threshold
from clipdesk.core.evaluation.metrics import PRF, RetrievalScores
from clipdesk.core.evaluation.results import (
    DEFAULT_THRESHOLD,
    CaptionComparison,
    ClassComparison,
)

CSV_COLUMNS = ("model", "task", "class", "threshold", "metric", "value")
MACRO, MICRO = "*macro*", "*micro*"
MAX_CONFUSION_IN_MARKDOWN = 25  # classes; larger confusion matrices go to JSON only


def _prf_dict(prf: PRF, extra: Mapping[str, list[Any]] | None = None) -> dict[str, Any]:
    per_class: dict[str, Any] = {}
    for i, name in enumerate(prf.labels):
        row: dict[str, Any] = prf.row(i)
        for key, values in (extra or {}).items():
            row[key] = values[i]
        per_class[name] = row
    return {
        "per_class": per_class,
        "macro": asdict(prf.macro),
        "micro": asdict(prf.micro),
    }


def _retrieval_dict(r: RetrievalScores) -> dict[str, Any]:
    return {"recall_at": {str(k): v for k, v in r.recall_at.items()}, "mrr": r.mrr,
            "ndcg_at_10": r.ndcg_at_10, "queries": r.queries}


def report_dict(
    result: ClassComparison | CaptionComparison,
    thresholds: float | Mapping[str, float] = DEFAULT_THRESHOLD,
    *,
    dataset: str = "",
    not_read: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything worth exporting about ``result`` as plain JSON-ready values.

    ``not_read`` (model id -> language) names the models that do not read the class names'
    language: their suggested threshold is refused, as are those without a true positive at
    it and negative ones (:func:`~clipdesk.core.evaluation.checks.suggest_threshold`): the
    value is ``None`` and ``suggestion_refused`` says why in one sentence."""

    if isinstance(result, CaptionComparison):
        rows = result.table()
        first = result.evaluations[0]
        return {
            "kind": "captions", "dataset": dataset, "models": list(result.model_ids),
            "queries": len(first.queries), "images": len(first.images),
            "skipped": [str(p) for p in first.skipped],
            "rows": {name: {"text_to_image": _retrieval_dict(t2i),
                            "image_to_text": _retrieval_dict(i2t)} for name, t2i, i2t in rows},
        }
    th = result.thresholds_for(thresholds)
    first_eval = result.evaluations[0]
    out: dict[str, Any] = {
        "kind": "classes", "dataset": dataset, "models": list(result.model_ids),
        "classes": list(result.classes), "images": len(first_eval.images),
        "negatives": int(first_eval.negatives.sum()),
        "skipped": [str(p) for p in first_eval.skipped],
        "thresholds": th, "text_to_image": {}, "zero_shot": {}, "image_to_image": {},
        "suggested_threshold": {}, "suggestion_refused": {},
        # what each model's text scores and thresholds are: "cosine", or SigLIP's "probability"
        "score_scale": {e.model_id: e.scale.name for e in result.evaluations},
    }
    for row in result.table(th):
        extra: dict[str, list[Any]] = {}
        if row.average_precision is not None:
            extra["average_precision"] = [float(v) for v in row.average_precision]
        evaluation = next((e for e in result.evaluations if e.model_id == row.name), None)
        if evaluation is not None:
            best = evaluation.best_thresholds()
            extra["best_f1_threshold"] = [t for t, _ in best]
            extra["best_f1"] = [f for _, f in best]
        entry = _prf_dict(row.prf, extra)
        entry["threshold"] = row.threshold
        if row.average_precision is not None:
            entry["mean_average_precision"] = float(row.average_precision.mean())
        out["text_to_image"][row.name] = entry
    for e in result.evaluations:
        cls = e.classification
        zero = _prf_dict(cls.per_class)
        zero.update(accuracy=cls.accuracy, labels=list(cls.labels), excluded=cls.excluded,
                    images=len(cls.truth), confusion=cls.confusion.tolist())
        out["zero_shot"][e.model_id] = zero
        out["image_to_image"][e.model_id] = {
            "positives": _prf_dict(e.image_to_image(th[e.model_id])),
            "with_negatives": _prf_dict(e.image_to_image(th[e.model_id], with_negatives=True)),
        }
        suggestion = suggest_threshold(e, (not_read or {}).get(e.model_id))
        out["suggested_threshold"][e.model_id] = suggestion.threshold if suggestion.offered \
            else None
        if not suggestion.offered:
            out["suggestion_refused"][e.model_id] = suggestion.sentence()
    return out


def write_json(report: Mapping[str, Any], out: Path | TextIO) -> None:
    text = json_text(report)
    if isinstance(out, Path):
        out.write_text(text + "\n", encoding="utf-8")
    else:
        out.write(text + "\n")


def csv_rows(report: Mapping[str, Any]) -> list[tuple[str, str, str, str, str, float]]:
    """The tidy rows of :data:`CSV_COLUMNS` (threshold as text, empty when not applicable)."""
    rows: list[tuple[str, str, str, str, str, float]] = []

    def prf_rows(model: str, task: str, block: Mapping[str, Any], threshold: Any) -> None:
        t = "" if threshold is None else f"{threshold:g}"
        for name, values in block["per_class"].items():
            for metric, value in values.items():
                rows.append((model, task, name, t, metric, float(value)))
        for avg in ("macro", "micro"):
            for metric, value in block[avg].items():
                rows.append((model, task, MACRO if avg == "macro" else MICRO, t, metric,
                             float(value)))

    if report["kind"] == "captions":
        for model, both in report["rows"].items():
            for direction, r in both.items():
                task = f"caption_{direction}"
                for k, v in r["recall_at"].items():
                    rows.append((model, task, "", "", f"recall@{k}", float(v)))
                rows.append((model, task, "", "", "mrr", float(r["mrr"])))
                rows.append((model, task, "", "", "ndcg@10", float(r["ndcg_at_10"])))
        return rows
    for model, block in report["text_to_image"].items():
        prf_rows(model, "text_to_image", block, block["threshold"])
        if "mean_average_precision" in block:
            rows.append((model, "text_to_image", MACRO, "", "mean_average_precision",
                         float(block["mean_average_precision"])))
    for model, block in report["zero_shot"].items():
        prf_rows(model, "zero_shot", block, None)
        rows.append((model, "zero_shot", "", "", "accuracy", float(block["accuracy"])))
    for model, both in report["image_to_image"].items():
        t = report["thresholds"][model]
        prf_rows(model, "image_to_image", both["positives"], t)
        prf_rows(model, "image_to_image_with_negatives", both["with_negatives"], t)
    for model, t in report["suggested_threshold"].items():
        if t is None:  # refused (report["suggestion_refused"] says why)
            continue
        rows.append((model, "text_to_image", "", "", "suggested_threshold", float(t)))
    return rows


def write_csv(report: Mapping[str, Any], out: Path | TextIO) -> None:
    """Write :func:`csv_rows` with a header (a path gets UTF-8 with a byte-order mark)."""
    if isinstance(out, Path):
        # a file name that is not UTF-8 keeps its own bytes (the CSV names the real file)
        with out.open("w", encoding="utf-8-sig", errors="surrogateescape", newline="") as fp:
            write_csv(report, fp)
        return
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(report))


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _table(header: list[str], body: list[list[str]]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def to_markdown(report: Mapping[str, Any]) -> str:
    """A readable report (percentages, one decimal) of :func:`report_dict`'s output."""
    out = io.StringIO()
    title = f"# clipdesk evaluation: {report['dataset']}" if report["dataset"] else \
        "# clipdesk evaluation"
    out.write(title + "\n\n")
    if report["kind"] == "captions":
        out.write(f"{report['queries']} captions, {report['images']} images; "
                  f"models: {', '.join(report['models'])}.\n\n")
        for direction, name in (("text_to_image", "Text → image"),
                                ("image_to_text", "Image → text")):
            out.write(f"## {name}\n\n")
            body = [[model, *(_pct(r[direction]["recall_at"][k]) for k in ("1", "5", "10")),
                     _pct(r[direction]["mrr"]), _pct(r[direction]["ndcg_at_10"])]
                    for model, r in report["rows"].items()]
            out.write(_table(["model", "R@1", "R@5", "R@10", "MRR", "nDCG@10"], body) + "\n\n")
        return out.getvalue()
    out.write(f"{report['images']} images ({report['negatives']} negatives), "
              f"{len(report['classes'])} classes; models: {', '.join(report['models'])}.\n")
    if report["skipped"]:
        out.write(f"{len(report['skipped'])} pictures could not be read and were left out.\n")
    out.write("\n## Text → image at the threshold (%)\n\n")
    t2i = report["text_to_image"]
    body = []
    for name, block in t2i.items():
        th = "" if block["threshold"] is None else f"{block['threshold']:g}"
        m, u = block["macro"], block["micro"]
        map_ = _pct(block["mean_average_precision"]) if "mean_average_precision" in block else ""
        body.append([name, th, _pct(m["precision"]), _pct(m["recall"]), _pct(m["f1"]),
                     _pct(u["precision"]), _pct(u["recall"]), _pct(u["f1"]), map_])
    out.write(_table(["", "threshold", "macro P", "macro R", "macro F1", "micro P", "micro R",
                      "micro F1", "mAP"], body) + "\n\n")
    if "checked" in report:
        _write_checked(out, report["checked"], report["classes"])
    if "descriptions" in report:
        _write_described(out, report["descriptions"])
    probability = [m for m, kind in report.get("score_scale", {}).items()
                   if kind == "probability"]
    if probability:
        out.write(f"Thresholds of {', '.join(probability)} are its own probability (sigmoid, "
                  "as SigLIP is trained); the others' are cosines.\n\n")
    header = ["class", "support"] + [f"{n} {m}" for n in t2i for m in ("P", "R")]
    body = []
    for cls in report["classes"]:
        first = next(iter(t2i.values()))["per_class"][cls]
        row = [cls, str(first["support"])]
        for block in t2i.values():
            row += [_pct(block["per_class"][cls]["precision"]),
                    _pct(block["per_class"][cls]["recall"])]
        body.append(row)
    out.write(_table(header, body) + "\n\n")
    out.write("Best-F1 threshold per class: " + "; ".join(
        f"{model}: " + ", ".join(f"{cls} {t2i[model]['per_class'][cls]['best_f1_threshold']:.3f}"
                                 for cls in report["classes"])
        for model in report["models"]) + ".\n\n")
    offered = {m: t for m, t in report["suggested_threshold"].items() if t is not None}
    if offered:
        out.write("Suggested default threshold (best macro F1): " + ", ".join(
            f"{m} {t:.3f}" for m, t in offered.items()) + ".\n\n")
    for model, sentence in report.get("suggestion_refused", {}).items():
        out.write(f"{model}: {sentence}\n\n")
    out.write("## Zero-shot classification (argmax)\n\n")
    body = [[m, _pct(z["accuracy"]), _pct(z["macro"]["precision"]), _pct(z["macro"]["recall"]),
             str(z["images"]), str(z["excluded"])] for m, z in report["zero_shot"].items()]
    out.write(_table(["model", "accuracy", "macro P", "macro R", "images", "left out"], body)
              + "\n\n")
    for model, z in report["zero_shot"].items():
        if len(z["labels"]) <= MAX_CONFUSION_IN_MARKDOWN:
            out.write(f"Confusion matrix of {model} (rows: truth, columns: predicted)\n\n")
            out.write(_table(["", *z["labels"]],
                             [[lbl, *map(str, r)] for lbl, r in zip(z["labels"], z["confusion"],
                                                                   strict=True)]) + "\n\n")
    out.write("## Image → image at the threshold (macro %)\n\n")
    body = []
    for model, both in report["image_to_image"].items():
        p, n = both["positives"]["macro"], both["with_negatives"]["macro"]
        body.append([model, f"{report['thresholds'][model]:g}", _pct(p["precision"]),
                     _pct(p["recall"]), _pct(n["precision"]), _pct(n["recall"])])
    out.write(_table(["model", "threshold", "P (positives)", "R (positives)",
                      "P (+negatives)", "R (+negatives)"], body) + "\n")
    return out.getvalue()


def write_markdown(report: Mapping[str, Any], out: Path) -> None:
    out.write_text(to_markdown(report), encoding="utf-8", errors="backslashreplace")


def _write_checked(out: TextIO, checked: Mapping[str, Any], classes: list[str]) -> None:
    """The seed study's table: CLIP alone, then CLIP + the VLM check."""
    out.write(f"## Checked by {checked['checker']} (%)\n\n")
    body = []
    for name, row in checked["rows"].items():
        b, a = row["before"]["macro"], row["after"]["macro"]
        body.append([name, _pct(b["precision"]), _pct(b["recall"]), _pct(b["f1"]),
                     _pct(a["precision"]), _pct(a["recall"]), _pct(a["f1"])])
    out.write(_table(["", "P", "R", "F1", "P checked", "R checked", "F1 checked"], body)
              + "\n\n")
    header = ["class"] + [f"{n} {m}" for n in checked["rows"] for m in ("F1", "F1 checked")]
    body = []
    for cls in classes:
        row = [cls]
        for block in checked["rows"].values():
            row += [_pct(block["before"]["per_class"][cls]["f1"]),
                    _pct(block["after"]["per_class"][cls]["f1"])]
        body.append(row)
    out.write(_table(header, body) + "\n\n")
    out.write(f"The check looked at {checked['asked']} photo-class pairs "
              f"({checked['cached']} more from earlier answers) in {checked['seconds']:.1f} s."
              "\n\n")


def _write_described(out: TextIO, described: Mapping[str, Any]) -> None:
    """Templates only against templates with descriptions, per model and class."""
    out.write("## Templates only vs with descriptions (%)\n\n")
    for model, block in described.items():
        acc = block["accuracy"]
        out.write(f"{model}: zero-shot accuracy {_pct(acc[0])} → {_pct(acc[1])}\n\n")
        body = [[cls, _pct(r["ap"][0]), _pct(r["ap"][1]), _pct(r["f1"][0]), _pct(r["f1"][1])]
                for cls, r in block["per_class"].items()]
        out.write(_table(["class", "AP templates", "AP described", "F1 templates",
                          "F1 described"], body) + "\n\n")
