"""The image on screen in the workspace: its decoded display, window/level kept across
images of one value range, the next image decoded ahead, and the status-bar readout
under the cursor (a mixin of :class:`cc2d_app.views.workspace.Workspace`)."""

from __future__ import annotations

import math
from typing import Any


class ImageOnScreen:
    """Display, window/level, prefetch and cursor readout."""

    def _display_ready(self, key: str, image: Any) -> None:
        if self.current_id is None:
            return
        if key != str(self.session.image(self.current_id).path):
            return
        same_size = self._display is not None and (
            (self._display.width, self._display.height) == (image.width, image.height))
        self._display = image
        # The user's window carries over while images share a value range (ADR 0007).
        if self._window is None or self._window_range != image.value_range:
            preset = image.presets[0]
            self._window = (preset.centre, preset.width, image.invert)
            self._window_range = image.value_range
        self.canvas.set_image(image.values, keep_view=same_size, window=self._window,
                              value_range=image.value_range)
        self.view_panel.show_image(image.value_range, image.presets)
        self.view_panel.show_window(*self._window)
        self.messageText.emit("")
        self._prefetch_next()

    def _display_failed(self, key: str, message: str) -> None:
        if self.current_id is not None and key == str(self.session.image(self.current_id).path):
            self._display = None
            self.canvas.set_image(None)
            self.messageText.emit(message)

    def _prefetch_next(self) -> None:
        ids = [r.id for r in self.session.images()]
        if self.current_id in ids:
            k = ids.index(self.current_id)
            if k + 1 < len(ids):
                nxt = self.session.image(ids[k + 1])
                if self.loader.cached(nxt.path) is None:
                    self.loader.request_display(nxt.path)

    def _apply_window(self, centre: float, width: float, invert: bool) -> None:
        self._window = (centre, width, invert)
        self.canvas.set_window(centre, width, invert)
        self.view_panel.show_window(centre, width, invert)

    def _canvas_window(self, centre: float, width: float) -> None:
        invert = self._window[2] if self._window else False
        self._window = (centre, width, invert)
        self.view_panel.show_window(centre, width, invert)

    def _panel_window(self, centre: float, width: float, invert: bool) -> None:
        self._apply_window(centre, width, invert)

    def _cursor(self, x: float, y: float) -> None:
        if math.isnan(x) or self._display is None or self.current_id is None:
            self.statusText.emit("")
            return
        from engine.data.display import value_at

        parts = [f"x {x:.1f}  y {y:.1f} px"]
        spacing = self.session.image(self.current_id).spacing
        if spacing is not None:
            parts.append(f"{x * spacing.col_mm:.2f}, {y * spacing.row_mm:.2f} mm")
        value = value_at(self._display, x, y)
        if value is not None:
            unit = f" {self._display.unit}" if self._display.unit else ""
            parts.append(f"value {value:g}{unit}")
        parts.append(f"zoom {self.canvas.zoom() * 100:.0f} %")
        self.statusText.emit("   ·   ".join(parts))

