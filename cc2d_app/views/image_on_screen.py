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
        state = self.state
        if state.window is None or state.window_range != image.value_range:
            preset = image.presets[0]
            # Not notified: the image is drawn with it just below.
            state.update(window=(preset.centre, preset.width, image.invert),
                         window_range=image.value_range, notify=False)
        self.canvas.set_image(image.values, keep_view=same_size, window=state.window,
                              value_range=image.value_range)
        self.view_panel.show_image(image.value_range, image.presets)
        self.view_panel.show_window(*state.window)
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

    def _show_window(self) -> None:
        """The state's window on the canvas (unless a drag on it set it) and the panel."""
        window = self.state.window
        if window is None:
            return
        if self.canvas.current_window() != window:
            self.canvas.set_window(*window)
        self.view_panel.show_window(*window)

    def _canvas_window(self, centre: float, width: float) -> None:
        invert = self.state.window[2] if self.state.window else False
        self.state.update(window=(centre, width, invert))

    def _panel_window(self, centre: float, width: float, invert: bool) -> None:
        self.state.update(window=(centre, width, invert))

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

