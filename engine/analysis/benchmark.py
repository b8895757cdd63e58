"""The challenge's classification metric: classes from compared landmarks against classes
from reference landmarks, per measurement (successful classification rate, SCR, and
the confusion matrix), plus how often the compared class was flagged borderline.

On ISBI the reference is the mean of the two doctors (``x, y`` of ``landmarks.csv``) and
the doctors' own points (``senior_x, senior_y``, ``junior_x, junior_y``) are compared
like a method's, as a human reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.analysis.analysis import Analysis
from engine.data.image_keys import match_images
from engine.data.landmarks import LandmarkTable
from engine.errors import LandmarkFileError

NONE = "none"   # a value no class holds (or a missing landmark)


def extra_points(table: LandmarkTable, prefix: str) -> dict[str, np.ndarray] | None:
    """Per image, the points of the ``<prefix>_x``, ``<prefix>_y`` columns (None if absent)."""
    xs, ys = table.values.get(f"{prefix}_x"), table.values.get(f"{prefix}_y")
    if xs is None or ys is None:
        return None
    return {image: np.stack([xs[image], ys[image]], axis=1) for image in xs}


def classify_all(analysis: Analysis, points: dict[str, np.ndarray], spacing_mm: float,
                 sigma_mm: float) -> dict[str, dict[str, tuple[str, bool]]]:
    """``{image: {measurement: (class name or "none", borderline)}}``."""
    out = {}
    for image, pts in points.items():
        out[image] = {r.id: (r.class_name or NONE, r.borderline)
                      for r in analysis.measure(pts, spacing_mm, sigma_mm)}
    return out


def compare_classes(analysis: Analysis, reference: dict[str, dict[str, tuple[str, bool]]],
                    compared: dict[str, dict[str, tuple[str, bool]]]) -> dict[str, Any]:
    """SCR (%), confusion matrix (rows: reference class, columns: compared class) and
    borderline counts per measurement, over the images of ``compared``."""
    per: dict[str, Any] = {}
    for m in analysis.reported:
        labels = [c.name for c in m.classes]
        pairs = [(reference[img][m.id][0], compared[img][m.id]) for img in compared]
        if any(ref == NONE or got == NONE for ref, (got, _) in pairs):
            labels.append(NONE)
        matrix = np.zeros((len(labels), len(labels)), dtype=int)
        wrong = flagged = wrong_flagged = 0
        for ref, (got, borderline) in pairs:
            matrix[labels.index(ref), labels.index(got)] += 1
            wrong += ref != got
            flagged += borderline
            wrong_flagged += ref != got and borderline
        n = len(pairs)
        per[m.id] = {
            "scr": 100.0 * (n - wrong) / n,
            "confusion": {"labels": labels, "rows_reference_columns_compared": matrix.tolist()},
            "borderline": {"flagged": flagged, "misclassified": wrong,
                           "misclassified_and_flagged": wrong_flagged,
                           "scr_not_flagged": (100.0 * sum(r == g for r, (g, b) in pairs if not b)
                                               / max(n - flagged, 1))},
        }
    scrs = [v["scr"] for v in per.values()]
    return {"n_images": len(compared), "mean_scr": float(np.mean(scrs)), "measurements": per}


def bench_analysis(analysis: Analysis, pred: dict[str, LandmarkTable], truth: LandmarkTable,
                   spacing_mm: float, sigma_mm: float = 2.0) -> dict[str, Any]:
    """Compare each table of ``pred`` (name → table) and the doctors' own points in
    ``truth`` with the reference ``truth`` points, on the images of the first table."""
    first = next(iter(pred.values()))
    truth_of = {str(img): cell for cell, img in
                match_images(truth.points, list(first.points), "the ground truth").items()}
    missing = [img for img in first.points if img not in truth_of]
    if missing:
        raise LandmarkFileError(
            f"{len(missing)} predicted image(s) have no ground truth, e.g. {missing[:3]}")
    cells = [truth_of[img] for img in first.points]
    reference = classify_all(analysis, {c: truth.points[c] for c in cells}, spacing_mm, sigma_mm)
    sources: dict[str, Any] = {}
    for name, table in pred.items():
        if set(table.points) != set(first.points):
            raise LandmarkFileError(
                f"predictions '{name}' name other images than '{next(iter(pred))}'")
        points = {truth_of[img]: table.points[img] for img in first.points}
        sources[name] = compare_classes(analysis, reference,
                                        classify_all(analysis, points, spacing_mm, sigma_mm))
    for doctor in ("senior", "junior"):
        own = extra_points(truth, doctor)
        if own is not None:
            sources[doctor] = compare_classes(
                analysis, reference,
                classify_all(analysis, {c: own[c] for c in cells}, spacing_mm, sigma_mm))
    return {"analysis": analysis.id, "spacing_mm": spacing_mm, "sigma_mm": sigma_mm,
            "reference": "classes from the truth's x, y (ISBI: the mean of the two doctors)",
            "sources": sources}


def format_table(results: dict[str, Any]) -> str:
    """Markdown: SCR (%) per measurement (rows) and source (columns)."""
    names = list(results["sources"])
    first = results["sources"][names[0]]["measurements"]
    lines = ["| measurement | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for mid in first:
        cells = [f"{results['sources'][n]['measurements'][mid]['scr']:.1f}" for n in names]
        lines.append(f"| {mid} | " + " | ".join(cells) + " |")
    lines.append("| mean | " + " | ".join(f"{results['sources'][n]['mean_scr']:.1f}"
                                          for n in names) + " |")
    return "\n".join(lines)
