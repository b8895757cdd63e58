"""Measurement tables: the ``cc2d analyze`` table (one row per image and measurement) and
one analysis over a project (one row per image)."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence

from engine.analysis.model import MeasurementResult
from engine.atomic import atomic_write_text
from engine.data.csv_cells import formula_safe

COLUMNS = ("image", "measurement", "name", "value", "unit", "class", "meaning", "normal_min",
           "normal_max", "norm_mean", "norm_sd", "deviation_sd", "interval_low",
           "interval_high", "p_other_class", "borderline", "note")


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
                          _num(r.norm.mean if r.norm else None),
                          _num(r.norm.sd if r.norm else None), _num(r.deviation_sd),
                          _num(r.interval[0]), _num(r.interval[1]), _num(r.p_other_class),
                          str(r.borderline).lower() if r.class_name else "",
                          formula_safe(r.note)])
            n += 1
    atomic_write_text(path, buf.getvalue())
    return n


def _num(v: float | None) -> str:
    return "" if v is None or not math.isfinite(v) else f"{v:.4g}"


def write_wide_csv(path: str | os.PathLike[str], measurement_names: Sequence[tuple[str, str]],
                   rows: Iterable[tuple[str, list[MeasurementResult]]]) -> int:
    """One analysis for a whole project, one row per image (for spreadsheets and
    statistics): per measurement (id, name) its value, class and borderline flag; written
    atomically; returns the number of images."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    header = ["image"]
    for mid, _name in measurement_names:
        header += [formula_safe(mid), formula_safe(f"{mid} unit"), formula_safe(f"{mid} class"),
                   formula_safe(f"{mid} borderline")]
    out.writerow(header)
    n = 0
    for image, results in rows:
        by_id = {r.id: r for r in results}
        line = [formula_safe(image)]
        for mid, _name in measurement_names:
            r = by_id.get(mid)
            if r is None:
                line += ["", "", "", ""]
                continue
            line += [_num(r.value), formula_safe(r.unit), formula_safe(r.class_name or ""),
                     str(r.borderline).lower() if r.class_name else ""]
        out.writerow(line)
        n += 1
    atomic_write_text(path, buf.getvalue())
    return n
