"""The live training-loss plot: one curve per training stage, redrawn at most ~5 times a second.

pyqtgraph gives axes, autoscale, a legend and a log scale for free; the throttle keeps
the GUI thread free however often reports arrive.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

# Distinct on the dark theme and for the common colour-vision deficiencies (Okabe–Ito).
CURVE_COLORS = ("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#d55e00")
BACKGROUND = "#22262c"   # theme.py's Base colour
REDRAW_MS = 200
MARKED_UP_TO = 30   # points drawn as dots too while a curve is this short: one is visible


class LossPlot(pg.PlotWidget):
    """Loss against step; the y axis turns logarithmic when the losses span > 1 decade."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=BACKGROUND)
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss")
        item.addLegend(offset=(-10, 10))
        item.setMenuEnabled(False)
        self._points: dict[str, tuple[list[int], list[float]]] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_MS)
        self._redraw.timeout.connect(self._draw)

    def add_point(self, stage: str, label: str, step: int, loss: float) -> None:
        """Queue one point of ``stage`` (``label`` names its curve in the legend)."""
        if not math.isfinite(loss):
            return
        if stage not in self._points:
            self._points[stage] = ([], [])
            color = CURVE_COLORS[len(self._curves) % len(CURVE_COLORS)]
            self._curves[stage] = self.getPlotItem().plot(
                [], [], name=label, pen=pg.mkPen(color, width=2))
        steps, losses = self._points[stage]
        if steps and step <= steps[-1]:
            return   # the engine reports the last step of a stage twice
        steps.append(step)
        losses.append(loss)
        if not self._redraw.isActive():
            self._redraw.start()

    def log_scale(self) -> bool:
        """Whether the loss axis is logarithmic."""
        return bool(self.getPlotItem().getAxis("left").logMode)

    def point_count(self) -> int:
        return sum(len(steps) for steps, _ in self._points.values())

    def clear_curves(self) -> None:
        self._redraw.stop()
        item = self.getPlotItem()
        for curve in self._curves.values():
            item.removeItem(curve)
        self._points.clear()
        self._curves.clear()
        item.setLogMode(y=False)

    def _draw(self) -> None:
        losses = [v for _, values in self._points.values() for v in values]
        positive = [v for v in losses if v > 0]
        log = len(positive) == len(losses) > 0 and max(positive) > 10 * min(positive)
        item = self.getPlotItem()
        if log != self.log_scale():
            item.setLogMode(y=log)
        for stage, (steps, values) in self._points.items():
            curve = self._curves[stage]
            curve.setData(steps, values)
            short = len(steps) <= MARKED_UP_TO
            curve.setSymbol("o" if short else None)
            if short:
                curve.setSymbolSize(6)
                curve.setSymbolBrush(curve.opts["pen"].color())
                curve.setSymbolPen(None)
