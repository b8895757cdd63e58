"""Which pseudo-labels the detector learns from: per landmark, the most trustworthy share.

Trust is the back-match distance of cycle-consistent matching (``cycle_px``, lower is
better) where the pseudo-labels have it, else the matching confidence (higher is
better). Labelled images' rows are true labels and always kept. The dropped points
become missing labels, which the TPL loss skips.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from engine.data.landmarks import LandmarkTable


def trusted(pseudo: LandmarkTable, keep: float, true_rows: Collection[str]) -> LandmarkTable:
    """A copy of ``pseudo`` holding, per landmark, the ``keep`` share (0 < keep ≤ 1) of the
    other rows' points that are most trusted; the rest are NaN."""
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must lie in (0, 1], not {keep}")
    out = LandmarkTable(pseudo.names, {k: v.copy() for k, v in pseudo.points.items()})
    rows = [k for k in pseudo.points if k not in true_rows]
    if keep == 1.0 or not rows:
        return out
    if "cycle_px" in pseudo.values:
        distrust = np.stack([pseudo.values["cycle_px"][k] for k in rows])
    else:
        distrust = -np.stack([pseudo.values["confidence"][k] for k in rows])
    n_keep = max(1, int(round(keep * len(rows))))
    # Per landmark (column), the rows beyond the n_keep most trusted.
    order = np.argsort(distrust, axis=0, kind="stable")
    for landmark in range(distrust.shape[1]):
        for r in order[n_keep:, landmark]:
            out.points[rows[r]][landmark] = np.nan
    return out
