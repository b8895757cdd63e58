"""The challenge's classification metric: classes from compared landmarks against classes
from reference landmarks, per measurement (successful classification rate, SCR, and
the confusion matrix), and how well the borderline flag finds the misclassified ones:
the share of misclassifications that were flagged and the share of flags that were
needed (both, so that flagging everything cannot score well).

On ISBI the reference is the mean of the two doctors (``x, y`` of ``landmarks.csv``) and
the doctors' own points (``senior_x, senior_y``, ``junior_x, junior_y``) are compared
like a method's, as a human reference, with a clinician's σ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.analysis.bound import BoundAnalysis
from engine.analysis.uncertainty import FLAG_PROBABILITY
from engine.data.image_keys import match_images
from engine.data.landmarks import LandmarkTable
from engine.errors import LandmarkFileError

NONE = "none"   # a value no class holds (or a missing landmark)
Classes = dict[str, dict[str, tuple[str, float]]]   # image → id → (class, P(other))


def extra_points(table: LandmarkTable, prefix: str) -> dict[str, np.ndarray] | None:
    """Per image, the points of the ``<prefix>_x``, ``<prefix>_y`` columns (None if absent)."""
    xs, ys = table.values.get(f"{prefix}_x"), table.values.get(f"{prefix}_y")
    if xs is None or ys is None:
        return None
    return {image: np.stack([xs[image], ys[image]], axis=1) for image in xs}


def classify_all(bound: BoundAnalysis, points: dict[str, np.ndarray], spacing_mm: float,
                 sigma_mm: np.ndarray) -> Classes:
    """``{image: {measurement: (class name or "none", P(other class))}}``."""
    out = {}
    for image, pts in points.items():
        out[image] = {r.id: (r.class_name or NONE, r.p_other_class)
                      for r in bound.measure(pts, spacing_mm, sigma_mm)}
    return out


def compare_classes(bound: BoundAnalysis, reference: Classes, compared: Classes,
                    threshold: float = FLAG_PROBABILITY) -> dict[str, Any]:
    """SCR (%), confusion matrix (rows: reference class, columns: compared class) and the
    counts of the flag (P(other class) ≥ ``threshold``) per measurement, over the images
    of ``compared``."""
    per: dict[str, Any] = {}
    flagged = {img: {mid: (c, bool(p >= threshold)) for mid, (c, p) in row.items()}
               for img, row in compared.items()}
    for m in bound.computable:
        labels = [c.name for c in m.classes]
        pairs = [(reference[img][m.id][0], flagged[img][m.id]) for img in compared]
        if any(ref == NONE or got == NONE for ref, (got, _) in pairs):
            labels.append(NONE)
        matrix = np.zeros((len(labels), len(labels)), dtype=int)
        for ref, (got, _) in pairs:
            matrix[labels.index(ref), labels.index(got)] += 1
        n = len(pairs)
        wrong = sum(ref != got for ref, (got, _) in pairs)
        per[m.id] = {
            "scr": 100.0 * (n - wrong) / n,
            "confusion": {"labels": labels, "rows_reference_columns_compared": matrix.tolist()},
            "borderline": flag_counts(pairs),
        }
    totals = flag_counts([p for img in compared for p in
                          ((reference[img][mid][0], flagged[img][mid]) for mid in per)])
    scrs = [v["scr"] for v in per.values()]
    return {"n_images": len(compared), "flag_probability": threshold,
            "mean_scr": float(np.mean(scrs)),
            "flags_per_image": totals["flagged"] / max(len(compared), 1),
            "borderline": totals, "measurements": per}


def flag_counts(pairs: list[tuple[str, tuple[str, bool]]]) -> dict[str, Any]:
    """How the flag did on (reference class, (compared class, flagged)) pairs."""
    wrong = sum(ref != got for ref, (got, _) in pairs)
    flagged = sum(b for _, (_, b) in pairs)
    both = sum(ref != got and b for ref, (got, b) in pairs)
    return {"flagged": flagged, "misclassified": wrong, "misclassified_and_flagged": both,
            "share_of_misclassified_flagged": both / wrong if wrong else None,
            "share_of_flags_needed": both / flagged if flagged else None,
            "scr_not_flagged": (100.0 * sum(r == g for r, (g, b) in pairs if not b)
                                / max(len(pairs) - flagged, 1))}


def bench_analysis(bound: BoundAnalysis, pred: dict[str, tuple[LandmarkTable, np.ndarray]],
                   truth: LandmarkTable, spacing_mm: float,
                   observer_sigma_mm: np.ndarray) -> dict[str, Any]:
    """Compare each table of ``pred`` (name → (table, σ per landmark in mm)) and the
    doctors' own points in ``truth`` (with ``observer_sigma_mm``) with the reference
    ``truth`` points, on the images of the first table."""
    first = next(iter(pred.values()))[0]
    truth_of = {str(img): cell for cell, img in
                match_images(truth.points, list(first.points), "the ground truth").items()}
    missing = [img for img in first.points if img not in truth_of]
    if missing:
        raise LandmarkFileError(
            f"{len(missing)} predicted image(s) have no ground truth, e.g. {missing[:3]}")
    cells = [truth_of[img] for img in first.points]
    reference = classify_all(bound, {c: truth.points[c] for c in cells}, spacing_mm,
                             observer_sigma_mm)
    sources: dict[str, Any] = {}
    for name, (table, sigma) in pred.items():
        if set(table.points) != set(first.points):
            raise LandmarkFileError(
                f"predictions '{name}' name other images than '{next(iter(pred))}'")
        points = {truth_of[img]: table.points[img] for img in first.points}
        sources[name] = compare_classes(bound, reference,
                                        classify_all(bound, points, spacing_mm, sigma))
    for doctor in ("senior", "junior"):
        own = extra_points(truth, doctor)
        if own is not None:
            sources[doctor] = compare_classes(
                bound, reference,
                classify_all(bound, {c: own[c] for c in cells}, spacing_mm, observer_sigma_mm))
    return {"analysis": bound.analysis.id, "spacing_mm": spacing_mm,
            "reference": "classes from the truth's x, y (ISBI: the mean of the two doctors)",
            "sources": sources}


def format_table(results: dict[str, Any]) -> str:
    """Markdown: SCR (%) per measurement (rows) and source (columns), then the flags."""
    names = list(results["sources"])
    first = results["sources"][names[0]]["measurements"]
    lines = ["| measurement | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for mid in first:
        cells = [f"{results['sources'][n]['measurements'][mid]['scr']:.1f}" for n in names]
        lines.append(f"| {mid} | " + " | ".join(cells) + " |")
    lines.append("| mean SCR | " + " | ".join(f"{results['sources'][n]['mean_scr']:.1f}"
                                              for n in names) + " |")
    lines.append("| flags per image | " + " | ".join(
        f"{results['sources'][n]['flags_per_image']:.2f}" for n in names) + " |")
    for key, title in (("share_of_misclassified_flagged", "misclassified that were flagged"),
                       ("share_of_flags_needed", "flags that were needed")):
        cells = [results["sources"][n]["borderline"][key] for n in names]
        lines.append(f"| {title} | " + " | ".join(
            "—" if c is None else f"{100 * c:.0f} %" for c in cells) + " |")
    return "\n".join(lines)
