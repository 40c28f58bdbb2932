from __future__ import annotations

from .subset_report import PER_CASE, WEIGHTS, read_per_case, render_report, write_per_case

__all__ = ["PER_CASE", "WEIGHTS", "read_per_case", "render_report", "write_per_case"]
