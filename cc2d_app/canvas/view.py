"""The image canvas: a radiograph with its landmarks, zoom/pan, window/level and placing.

Every signal and method speaks image pixel coordinates (origin at the centre of the top-left
pixel); the main window owns the landmark data and answers the requests by calling
``set_landmarks`` back. Scene coordinates equal image coordinates. Mouse gestures live in
:mod:`cc2d_app.canvas.gestures`, keys in :mod:`cc2d_app.canvas.keys`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QToolTip, QWidget

from cc2d_app.canvas.geometry import centre_after_zoom, fit_scale, inside_image, zoom_about
from cc2d_app.canvas.gestures import GestureHandling
from cc2d_app.canvas.image_layer import ImageLayer
from cc2d_app.canvas.keys import KeyHandling
from cc2d_app.canvas.landmark_layer import LandmarkLayer
from cc2d_app.canvas.loupe import Loupe, loupe_magnification
from cc2d_app.canvas.measurement_overlay import MeasurementOverlay, Segment
from cc2d_app.canvas.overlays import CalibrationLine, CursorLabel, paint_scale_bar, scale_bar_text

MIN_ZOOM = 0.02
MAX_ZOOM = 40.0
WHEEL_FACTOR = 1.25  # per notch (angleDelta 120)


class ImageCanvas(GestureHandling, KeyHandling, QGraphicsView):
    """Shows one radiograph and asks, through its signals, for landmark changes."""

    placeRequested = Signal(int, float, float)  # noqa: N815 (Qt naming)
    moveRequested = Signal(int, float, float)  # noqa: N815
    # While a landmark is dragged (every mouse move; moveRequested follows once, on release).
    landmarkDragging = Signal(int, float, float)  # noqa: N815
    clearRequested = Signal(int)  # noqa: N815
    landmarkPicked = Signal(int)  # noqa: N815
    cursorMoved = Signal(float, float)  # noqa: N815
    windowChanged = Signal(float, float)  # noqa: N815
    calibrationLineDrawn = Signal(float, float, float, float)  # noqa: N815
    calibrationEscaped = Signal()  # noqa: N815 (Escape while calibrating)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._image = ImageLayer()
        self._scene.addItem(self._image.item)
        self._landmarks = LandmarkLayer(self._scene)
        self._calibration = CalibrationLine(self._scene)
        self._measurement = MeasurementOverlay()
        self._scene.addItem(self._measurement)
        self._active: int | None = None
        self._spacing: float | None = None
        self._mode = "annotate"
        self._zoom = 1.0
        self._centre = QPointF(0, 0)
        self._fitted = True  # follow the widget's size until the user zooms or pans
        self._hover_pos: QPointF | None = None
        self._init_gestures()

        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Zoom keeps the point under the cursor by itself (zoom_by); Qt's anchors would
        # need a mouse move before every wheel event.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        # The scale bar is painted in viewport px; partial scroll updates would smear it.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.loupe = Loupe(self.viewport())
        self.cursor_label = CursorLabel(self.viewport())

    # ----------------------------------------------------------------- image and window
    def set_image(self, values: np.ndarray | None, *, keep_view: bool = False,
                  window: tuple[float, float, bool] | None = None,
                  value_range: tuple[float, float] | None = None) -> None:
        """Show ``values`` (float H×W); None clears. ``keep_view`` keeps zoom and centre when
        the new image has the size of the old one, else the image is fitted. Giving the
        ``window`` (centre, width, invert) and the known ``value_range`` renders once and
        skips a scan of the pixels: this runs on the GUI thread at every image change."""
        old_size = self._image.size
        self._cancel_gesture()
        self._image.set_values(values, window=window, value_range=value_range)
        self.loupe.set_source(self._image.qimage)
        self._calibration.clear()
        if values is None:
            self._set_view(self._zoom, QPointF(0, 0))
        elif keep_view and old_size == self._image.size:
            self._set_view(self._zoom, self._centre)
        else:
            self.fit()
        self._update_hover()

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the image shown, (0, 0) without one."""
        return self._image.size

    def set_window(self, centre: float, width: float, invert: bool) -> None:
        self._image.set_window(centre, width, invert)
        self.loupe.set_source(self._image.qimage)

    def current_window(self) -> tuple[float, float, bool]:
        """The window the image is drawn with (centre, width, inverted)."""
        return self._image.current_window()

    # ------------------------------------------------------------------------ landmarks
    def set_landmarks(
        self,
        points: Sequence[tuple[float, float] | None],
        colors: Sequence[str],
        labels: Sequence[str],
        names: Sequence[str],
    ) -> None:
        """One item per placed point, updated in place; a landmark being dragged stays
        under the mouse until release."""
        dragged = self._dragged_index()
        self._landmarks.set(points, colors, labels, names, held=dragged)
        self._arrange_labels()
        if dragged is not None and not self._landmarks.placed(dragged):
            self._cancel_gesture()  # the landmark being dragged was cleared meanwhile
        self._update_hover()

    def set_active(self, index: int | None) -> None:
        """The landmark the next click places; its name follows the cursor over the image."""
        self._active = index
        self._update_hover()
        self._update_cursor()

    def set_selected(self, index: int | None) -> None:
        self._landmarks.select(index)

    def set_low_confidence(self, flags: Sequence[bool]) -> None:
        """Dashed rings for the landmarks flagged (e.g. uncertain predictions)."""
        self._landmarks.set_low_confidence(flags)

    def set_tooltips(self, texts: Sequence[str]) -> None:
        """What hovering each landmark shows (e.g. its name and confidence)."""
        self._landmarks.set_tooltips(texts)

    def landmark_tooltip(self, index: int) -> str:
        """What hovering landmark ``index`` shows ("" when it is not placed)."""
        return self._landmarks.tooltip(index)

    def landmark_label_rect(self, index: int) -> QRectF:
        """Where landmark ``index``'s label is drawn, in viewport px (empty: not placed)."""
        item = self._landmarks.items.get(index)
        if item is None:
            return QRectF()
        return item.label_rect().translated(self.mapFromScene(item.pos()).toPointF())

    def _arrange_labels(self) -> None:
        self._landmarks.arrange_labels(lambda x, y: self.image_to_viewport(x, y).toTuple())

    def show_measurement(self, lines: Sequence[Segment], text: str, angle: bool) -> None:
        """Draw a measurement's lines (image px) with its value; for an ``angle``, arcs
        where its lines meet and the value there. No lines: nothing is drawn."""
        w, h = self._image.size
        self._measurement.set(lines, text, angle, QRectF(-0.5, -0.5, w, h))

    def measurement_lines(self) -> list[Segment]:
        """The measurement lines drawn now ([] when none)."""
        return list(self._measurement.lines) if self._measurement.isVisible() else []

    def set_spacing(self, mm_per_px: float | None) -> None:
        """Pixel spacing for the scale bar; None hides it."""
        self._spacing = mm_per_px if mm_per_px and mm_per_px > 0 else None
        self.viewport().update()

    def scale_bar_text(self) -> str:
        """The scale bar's caption ("10 mm"), "" when none is drawn."""
        if self._image.values is None:
            return ""
        return scale_bar_text(self._spacing, self._zoom)

    def set_mode(self, mode: str) -> None:
        """Either "annotate" (default) or "calibrate" (drag a line of known length)."""
        if mode not in ("annotate", "calibrate"):
            raise ValueError(f"unknown canvas mode {mode!r}")
        self._cancel_gesture()
        self._mode = mode
        if mode != "calibrate":
            self._calibration.clear()
        self._update_hover()
        self._update_cursor()

    def mode(self) -> str:
        return self._mode

    def calibration_text(self) -> str:
        """The length label of the calibration line shown ("123.4 px"), or ""."""
        return self._calibration.label()

    # ------------------------------------------------------------------------ zoom, pan
    def zoom(self) -> float:
        """Screen px per image px."""
        return self._zoom

    def fit(self) -> None:
        """Show the whole image, centred."""
        w, h = self._image.size
        if w == 0:
            return
        vp = self.viewport()
        scale = fit_scale(w, h, vp.width(), vp.height())
        self._set_view(min(max(scale, MIN_ZOOM), MAX_ZOOM), QPointF((w - 1) / 2, (h - 1) / 2))
        self._fitted = True

    def zoom_1to1(self) -> None:
        """One screen px per image px, about the current centre."""
        self._set_view(1.0, self._centre)
        self._fitted = False

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under ``anchor`` (viewport px) where it
        is; about the view centre without one."""
        new = zoom_about(self._zoom, factor, MIN_ZOOM, MAX_ZOOM)
        centre = self._centre
        if anchor is not None:
            a = self.viewport_to_image(anchor)
            x, y = centre_after_zoom(self._view_centre(), a, self._zoom, new)
            centre = QPointF(x, y)
        self._set_view(new, centre)
        self._fitted = False

    def image_to_viewport(self, x: float, y: float) -> QPointF:
        return self.viewportTransform().map(QPointF(x, y))

    def viewport_to_image(self, pos: QPoint | QPointF) -> tuple[float, float]:
        p = self.viewportTransform().inverted()[0].map(QPointF(pos))
        return p.x(), p.y()

    def _view_centre(self) -> tuple[float, float]:
        """The image point at the middle of the viewport as drawn now."""
        vp = self.viewport()
        return self.viewport_to_image(QPointF(vp.width() / 2.0, vp.height() / 2.0))

    def _set_view(self, zoom: float, centre: QPointF) -> None:
        changed = zoom != self._zoom
        self._zoom = zoom
        self.setTransform(self.transform().fromScale(zoom, zoom))
        w, h = self._image.size
        vp = self.viewport()
        # Room around the image so it can be panned until its edge meets the far side.
        mx, my = vp.width() / zoom, vp.height() / zoom
        self.setSceneRect(QRectF(-0.5 - mx, -0.5 - my, w + 2 * mx, h + 2 * my))
        self.centerOn(centre)
        self._centre = QPointF(centre)
        self._image.set_smooth(zoom < 1.0)
        if changed:
            self._arrange_labels()   # labels keep their screen size: what overlaps changes
        self.viewport().update()

    def _pan(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) viewport px."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() - round(dx))
        v.setValue(v.value() - round(dy))
        self._centre = QPointF(*self._view_centre())
        self._fitted = False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
        else:
            self._set_view(self._zoom, self._centre)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        notches = event.angleDelta().y() / 120.0
        if notches == 0 or self._image.values is None:
            event.ignore()
            return
        self.zoom_by(WHEEL_FACTOR**notches, event.position())
        self._hover(event.position())
        event.accept()

    # ----------------------------------------------------------------- hover, overlays
    def _hover(self, pos: QPointF | None) -> None:
        """Cursor at viewport ``pos`` (None: gone): status signal, name label, loupe."""
        self._hover_pos = None if pos is None else QPointF(pos)
        x, y = self._hover_image_point()
        self.cursorMoved.emit(x, y)
        self._update_hover()

    def _hover_image_point(self) -> tuple[float, float]:
        """The image point under the cursor, (nan, nan) off the image."""
        if self._hover_pos is not None and self._image.values is not None:
            x, y = self.viewport_to_image(self._hover_pos)
            if inside_image(x, y, *self._image.size):
                return x, y
        return math.nan, math.nan

    def _update_hover(self) -> None:
        pos = self._hover_pos
        x, y = self._hover_image_point()
        dragged = self._dragged_index()
        placing = (
            self._active is not None
            and self._mode == "annotate"
            and not math.isnan(x)
            and self._placing_possible()
        )
        if placing:
            self.cursor_label.setText(self._landmarks.title(self._active))
            self.cursor_label.follow(pos)
        self.cursor_label.setVisible(placing)
        if dragged is not None and pos is not None:
            self._show_loupe(self._landmarks.item_pos(dragged), pos)
        elif placing:
            self._show_loupe(QPointF(x, y), pos)
        else:
            self.loupe.hide()

    def _show_loupe(self, centre: QPointF, cursor: QPointF) -> None:
        magnification = loupe_magnification(self._zoom)
        self.loupe.show_at(centre, magnification, self._landmarks.marks(), cursor)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Leave:
            self._hover(None)
        elif event.type() == QEvent.Type.ToolTip:
            index = self.landmark_at(QPointF(event.pos()))
            text = "" if index is None else self._landmarks.tooltip(index)
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self._spacing is None or self._image.values is None:
            return
        painter.save()
        painter.resetTransform()  # viewport px
        paint_scale_bar(painter, QRectF(self.viewport().rect()), self._spacing, self._zoom)
        painter.restore()
