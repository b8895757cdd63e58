"""The landmarks on the canvas: the main window's points mirrored as scene items."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsScene

from cc2d_app.canvas.geometry import label_offsets
from cc2d_app.canvas.landmark_item import RING_RADIUS, LandmarkItem, landmark_colour

Point = tuple[float, float]


class LandmarkLayer:
    """Points, labels and names by landmark index, one item per placed point."""

    def __init__(self, scene: QGraphicsScene) -> None:
        self._scene = scene
        self.items: dict[int, LandmarkItem] = {}
        self.points: list[Point | None] = []
        self._labels: list[str] = []
        self._names: list[str] = []
        self._selected: int | None = None
        self._low_confidence: list[bool] = []
        self._tooltips: list[str] = []

    def set(
        self,
        points: Sequence[Point | None],
        colours: Sequence[str],
        labels: Sequence[str],
        names: Sequence[str],
        held: int | None,
    ) -> None:
        """Mirror the main window's landmarks; the ``held`` item (being dragged) keeps its
        on-screen place."""
        self.points = [None if p is None else (float(p[0]), float(p[1])) for p in points]
        self._labels = list(labels)
        self._names = list(names)
        colours = list(colours)
        gone = [i for i in self.items if i >= len(self.points) or self.points[i] is None]
        for index in gone:
            self._scene.removeItem(self.items.pop(index))
        for index, point in enumerate(self.points):
            if point is None:
                continue
            colour = landmark_colour(colours, index)
            item = self.items.get(index)
            if item is None:
                item = LandmarkItem(index, colour, self.label(index))
                self.items[index] = item
                self._scene.addItem(item)
            else:
                item.set_colour(colour)
                item.set_label(self.label(index))
            item.set_selected(index == self._selected)
            item.set_low_confidence(self._is_low(index))
            if index != held:
                item.setPos(point[0], point[1])

    def placed(self, index: int | None) -> bool:
        return index is not None and index in self.items

    def select(self, index: int | None) -> None:
        self._selected = index
        for i, item in self.items.items():
            item.set_selected(i == index)

    def selected(self) -> int | None:
        return self._selected

    def set_low_confidence(self, flags: Sequence[bool]) -> None:
        """Dashed rings by index; kept for items placed later."""
        self._low_confidence = [bool(f) for f in flags]
        for i, item in self.items.items():
            item.set_low_confidence(self._is_low(i))

    def set_tooltips(self, texts: Sequence[str]) -> None:
        """Hover texts by index (name, confidence, who placed it); the canvas shows the one
        of the point nearest the cursor, the one a drag would move."""
        self._tooltips = list(texts)

    def tooltip(self, index: int) -> str:
        placed = index in self.items
        return self._tooltips[index] if placed and index < len(self._tooltips) else ""

    def arrange_labels(self, to_screen: Callable[[float, float], Point]) -> None:
        """Place each label where it hides the fewest other rings and labels on screen."""
        indices = sorted(self.items)
        screen = [to_screen(*self.items[i].pos().toTuple()) for i in indices]
        sizes = [self.items[i].label_size() for i in indices]
        for i, (x, y) in zip(indices, label_offsets(screen, sizes, RING_RADIUS + 1), strict=True):
            self.items[i].set_label_offset(x, y)

    def _is_low(self, index: int) -> bool:
        return index < len(self._low_confidence) and self._low_confidence[index]

    def move(self, index: int, x: float, y: float) -> None:
        """Show a move at once; the main window confirms it through ``set``."""
        self.points[index] = (x, y)
        self.items[index].setPos(x, y)

    def label(self, index: int) -> str:
        return self._labels[index] if index < len(self._labels) else str(index + 1)

    def title(self, index: int) -> str:
        """The label beside the cursor, e.g. "S — Sella"."""
        label = self.label(index)
        name = self._names[index] if index < len(self._names) else ""
        return f"{label} — {name}" if name and name != label else label

    def marks(self) -> list[tuple[float, float, QColor]]:
        """Where each item is drawn now (a dragged one included), for the loupe."""
        return [(it.pos().x(), it.pos().y(), it.colour()) for it in self.items.values()]

    def item_pos(self, index: int) -> QPointF:
        return self.items[index].pos()
