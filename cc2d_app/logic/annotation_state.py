"""What the user is working on, without Qt: the image on screen, the landmark the next click
places (active), the one picked on the canvas (selected), the canvas mode, and the
window/level (centre, width, inverted) with the value range it was set for: it carries
over to the next image while images share that range (ADR 0007).

The workspace owns one; views follow it. A change of several fields at once (a new image
and its first unplaced landmark) is one notification naming every field that changed,
and setting a field to the value it has notifies nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FIELDS = ("image_id", "active", "selected", "mode", "window", "window_range")
MODES = ("annotate", "calibrate")
Listener = Callable[[frozenset[str]], None]


class AnnotationState:
    def __init__(self) -> None:
        self.image_id: int | None = None
        self.active: int | None = None
        self.selected: int | None = None
        self.mode = "annotate"
        self.window: tuple[float, float, bool] | None = None
        self.window_range: tuple[float, float] | None = None
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def update(self, *, notify: bool = True, **changes: Any) -> frozenset[str]:
        """Set the given fields; notify once with the names of those that changed.
        ``notify=False`` for a change the caller's next step redraws anyway (a click's
        next landmark, shown by the point's own change signal)."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise TypeError(f"no such annotation state field: {', '.join(sorted(unknown))}")
        if "mode" in changes and changes["mode"] not in MODES:
            raise ValueError(f"mode {changes['mode']!r} is not one of {', '.join(MODES)}")
        changed = frozenset(k for k, v in changes.items() if getattr(self, k) != v)
        for name in changed:
            setattr(self, name, changes[name])
        if changed and notify:
            for listener in list(self._listeners):
                listener(changed)
        return changed
