"""Which landmark a click places next (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.project import Landmark


def next_unplaced(landmarks: Sequence[Landmark | None], after: int | None = None) -> int | None:
    """The first unplaced landmark after ``after`` (wrapping round), ``None`` when all placed."""
    n = len(landmarks)
    start = 0 if after is None else after + 1
    for k in range(n):
        i = (start + k) % n
        if landmarks[i] is None:
            return i
    return None
