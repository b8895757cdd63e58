"""Review order and confidence flags for predicted landmarks (no Qt).

The detector's confidence (heat-map peak × vote share, see engine/tpl/voting.py) is in
[0, 1]. Below LOW_CONFIDENCE a point is drawn with a dashed ring and listed first.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.project import Landmark, LandmarkSource

# The flag is a reading aid, not a verdict: every predicted point is still reviewed.
LOW_CONFIDENCE = 0.5


def is_low(lm: Landmark | None) -> bool:
    """A predicted point whose confidence is unknown or below LOW_CONFIDENCE."""
    return (lm is not None and lm.source == LandmarkSource.PREDICTED
            and (lm.confidence is None or lm.confidence < LOW_CONFIDENCE))


def least_confidence(landmarks: Sequence[Landmark | None]) -> float | None:
    """The lowest confidence among predicted points; None when nothing is predicted."""
    values = [lm.confidence if lm.confidence is not None else 0.0 for lm in landmarks
              if lm is not None and lm.source == LandmarkSource.PREDICTED]
    return min(values) if values else None


def landmark_order(landmarks: Sequence[Landmark | None]) -> list[int]:
    """Panel order: low-confidence predictions first (least confident on top), then the rest
    in schema order."""
    low = sorted((i for i, lm in enumerate(landmarks) if is_low(lm)),
                 key=lambda i: landmarks[i].confidence or 0.0)  # type: ignore[union-attr]
    return low + [i for i in range(len(landmarks)) if i not in low]


def hover_text(name: str, label: str, lm: Landmark | None) -> str:
    """What hovering a point says: who placed it and, for predictions, how sure it is."""
    if lm is None:
        return ""
    head = f"{label} — {name}" if label != name else name
    if lm.source == LandmarkSource.PREDICTED:
        conf = "unknown" if lm.confidence is None else f"{lm.confidence:.2f}"
        flag = " (low: check it)" if is_low(lm) else ""
        return f"{head}\npredicted, confidence {conf}{flag}"
    return f"{head}\n{'corrected by hand' if lm.source == LandmarkSource.CORRECTED else 'template'}"
