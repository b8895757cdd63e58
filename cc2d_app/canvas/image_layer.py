"""The radiograph in the scene: float values, their window, the rendered 8-bit image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem

from engine.data.display import render_window


def value_span(values: np.ndarray) -> float:
    """max − min of the finite values, or 1 for a flat or empty image (drag sensitivity)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 1.0
    span = float(finite.max() - finite.min())
    return span if span > 0 else 1.0


def grey_qimage(rendered: np.ndarray) -> QImage:
    """A QImage that owns a copy of a C-contiguous uint8 (H, W) array."""
    h, w = rendered.shape
    return QImage(rendered.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class ImageLayer:
    """Keeps the pixmap item in step with the values and the window.

    The item sits at (-0.5, -0.5) so that scene coordinates are image pixel coordinates
    (pixel centres on integers).
    """

    def __init__(self) -> None:
        self.item = QGraphicsPixmapItem()
        self.item.setOffset(-0.5, -0.5)
        self.item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self.values: np.ndarray | None = None
        self.qimage = QImage()
        self.span = 1.0
        self.window: tuple[float, float, bool] | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in px; (0, 0) without an image."""
        if self.values is None:
            return 0, 0
        return int(self.values.shape[1]), int(self.values.shape[0])

    def set_values(self, values: np.ndarray | None, *,
                   window: tuple[float, float, bool] | None = None,
                   value_range: tuple[float, float] | None = None) -> None:
        if values is None:
            self.values = None
            self.qimage = QImage()
            self.item.setPixmap(QPixmap())
            return
        if values.ndim != 2:
            raise ValueError(f"expected a 2-D grey image, got shape {values.shape}")
        self.values = np.asarray(values, dtype=np.float32)
        if value_range is not None and value_range[1] > value_range[0]:
            self.span = float(value_range[1] - value_range[0])
        else:
            self.span = value_span(self.values)
        if window is not None:
            self.window = (float(window[0]), float(window[1]), bool(window[2]))
        self.render()

    def set_window(self, centre: float, width: float, invert: bool) -> None:
        self.window = (float(centre), float(width), bool(invert))
        self.render()

    def current_window(self) -> tuple[float, float, bool]:
        """The window set last, or the full value range before any was set."""
        if self.window is not None:
            return self.window
        if self.values is None:
            return 0.5, 1.0, False
        finite = self.values[np.isfinite(self.values)]
        low = float(finite.min()) if finite.size else 0.0
        return low + self.span / 2.0, self.span, False

    def render(self) -> None:
        if self.values is None:
            return
        centre, width, invert = self.current_window()
        self.qimage = grey_qimage(render_window(self.values, centre, width, invert))
        self.item.setPixmap(QPixmap.fromImage(self.qimage))

    def set_smooth(self, smooth: bool) -> None:
        """Smooth when zoomed out (less aliasing), sharp pixels when zoomed in."""
        mode = (
            Qt.TransformationMode.SmoothTransformation
            if smooth
            else Qt.TransformationMode.FastTransformation
        )
        if self.item.transformationMode() != mode:
            self.item.setTransformationMode(mode)
