from __future__ import annotations

from .classification_report import (
    PER_SUBJECT,
    PREDICTIONS,
    read_per_subject,
    render_classification_report,
    summarize_classification,
    write_class_predictions,
    write_classification_report,
    write_per_subject,
)
from .comparison_report import COMPARISON, comparison_table, render_comparison
from .heatmap import subset_heatmap
from .subset_report import (
    PER_CASE,
    WEIGHTS,
    read_per_case,
    read_weights,
    render_report,
    split_note,
    write_per_case,
    write_segmentation_report,
    write_weights,
)

__all__ = [
    "COMPARISON",
    "comparison_table",
    "render_comparison",
    "PER_CASE",
    "PER_SUBJECT",
    "PREDICTIONS",
    "WEIGHTS",
    "read_per_case",
    "read_per_subject",
    "read_weights",
    "render_classification_report",
    "render_report",
    "split_note",
    "subset_heatmap",
    "summarize_classification",
    "write_class_predictions",
    "write_classification_report",
    "write_per_case",
    "write_per_subject",
    "write_segmentation_report",
    "write_weights",
]
