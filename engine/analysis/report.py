"""The ``cc2d analyze`` table: one row per image and reported measurement."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable

from engine.analysis.model import MeasurementResult
from engine.atomic import atomic_write_text
from engine.data.csv_cells import formula_safe

COLUMNS = ("image", "measurement", "name", "value", "unit", "class", "meaning", "normal_min",
           "normal_max", "borderline", "error_bound", "note")


def write_analysis_csv(path: str | os.PathLike[str],
                       rows: Iterable[tuple[str, list[MeasurementResult]]]) -> int:
    """Write ``(image, results)`` rows atomically; returns the number of lines written."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(COLUMNS)
    n = 0
    for image, results in rows:
        for r in results:
            lo, hi = r.normal_range or (None, None)
            out.writerow([formula_safe(image), formula_safe(r.id), formula_safe(r.name),
                          _num(r.value), formula_safe(r.unit), formula_safe(r.class_name or ""),
                          formula_safe(r.class_meaning or ""), _num(lo), _num(hi),
                          str(r.borderline).lower() if r.class_name else "",
                          _num(r.error_bound), formula_safe(r.note)])
            n += 1
    atomic_write_text(path, buf.getvalue())
    return n


def _num(v: float | None) -> str:
    return "" if v is None or not math.isfinite(v) else f"{v:.4g}"
