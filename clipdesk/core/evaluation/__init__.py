"""Evaluation of models on labelled data: how well does each model find each class, and which
model (or pair of models) should a person use?

* :mod:`.datasets` — class-folder datasets and caption JSONL files;
* :mod:`.metrics` — pure numpy metrics (precision/recall/F1, PR curves, confusion matrices,
  Recall@K, MRR, nDCG);
* :mod:`.results` — frozen results that keep their score matrices (threshold sliders recompute
  in milliseconds), and multi-model comparisons with union and rank fusion;
* :mod:`.runner` — embedding through the store and the indexer, then scoring (cancellable jobs);
* :mod:`.checks` — does each model read the texts, and may a suggested threshold be offered;
* :mod:`.report` — JSON, CSV and Markdown exports.

Typical use (what ``clipdesk-cli eval`` does)::

    dataset = load_dataset(Path("my-classes"))
    with open_evaluation_library(engine) as library:
        result = evaluate(engine, library, dataset, ["cn_clip:ViT-B-16", "open_clip:..."])
    result.table(0.25)                 # ClassComparison: rows per model + union + rrf
    result.evaluations[0].text_to_image(0.22).precision   # move the threshold: no re-encoding
    write_markdown(report_dict(result, 0.25, dataset="my-classes"), Path("report.md"))
"""

from clipdesk.core.evaluation.checks import (
    REFUSED_LANGUAGE,
    REFUSED_NEGATIVE,
    REFUSED_NO_HITS,
    Suggestion,
    dataset_texts,
    label_file_texts,
    language_mismatches,
    models_not_reading,
    suggest_threshold,
    suggestions,
)
from clipdesk.core.evaluation.datasets import (
    CaptionDataset,
    ClassDataset,
    DatasetError,
    load_captions,
    load_class_folders,
    load_dataset,
)
from clipdesk.core.evaluation.metrics import (
    PRF,
    Averages,
    ClassificationReport,
    PRCurve,
    RetrievalScores,
)
from clipdesk.core.evaluation.report import (
    csv_rows,
    report_dict,
    to_markdown,
    write_csv,
    write_json,
    write_markdown,
)
from clipdesk.core.evaluation.results import (
    DEFAULT_THRESHOLD,
    CaptionComparison,
    CaptionEvaluation,
    ClassComparison,
    ClassEvaluation,
    ComparisonRow,
)
from clipdesk.core.evaluation.runner import (
    EvaluationError,
    class_label_set,
    embed_images,
    evaluate,
    evaluate_captions,
    evaluate_classes,
    evaluation_paths,
    label_sets_from_files,
    open_evaluation_library,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "PRF",
    "REFUSED_LANGUAGE",
    "REFUSED_NEGATIVE",
    "REFUSED_NO_HITS",
    "Averages",
    "CaptionComparison",
    "CaptionDataset",
    "CaptionEvaluation",
    "ClassComparison",
    "ClassDataset",
    "ClassEvaluation",
    "ClassificationReport",
    "ComparisonRow",
    "DatasetError",
    "EvaluationError",
    "PRCurve",
    "RetrievalScores",
    "Suggestion",
    "class_label_set",
    "csv_rows",
    "dataset_texts",
    "embed_images",
    "evaluate",
    "evaluate_captions",
    "evaluate_classes",
    "evaluation_paths",
    "label_file_texts",
    "label_sets_from_files",
    "language_mismatches",
    "load_captions",
    "load_class_folders",
    "load_dataset",
    "models_not_reading",
    "open_evaluation_library",
    "report_dict",
    "suggest_threshold",
    "suggestions",
    "to_markdown",
    "write_csv",
    "write_json",
    "write_markdown",
]
