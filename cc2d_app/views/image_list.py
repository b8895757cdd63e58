"""The image list: thumbnails, a status icon and the doubtful points per image, a filter by
status, the review order (the queue Enter walks) or the order added, next/previous.

A view over the session: it reads records and landmarks through it, and refreshes one
row when the session says that image changed. Thumbnails come from the ImageLoader.
"""

from __future__ import annotations

from typing import Any

import qtawesome as qta
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QLabel, QListView, QVBoxLayout, QWidget

from cc2d_app.controllers.workers import ImageLoader
from cc2d_app.logic.image_state import STATE_ICONS, ImageState, ImageSummary, summarise
from cc2d_app.session import ProjectSession

ICON_SIZE = QSize(64, 64)
IdRole = Qt.ItemDataRole.UserRole + 1
StateRole = Qt.ItemDataRole.UserRole + 2
QueueRole = Qt.ItemDataRole.UserRole + 3


class ImageListModel(QAbstractListModel):
    """One row per project image, in the order they were added."""

    def __init__(self, session: ProjectSession, loader: ImageLoader) -> None:
        super().__init__()
        self._session = session
        self._loader = loader
        self._ids: list[int] = []
        self._summaries: dict[int, ImageSummary] = {}
        self._icons: dict[int, QPixmap] = {}
        self._failed: dict[int, str] = {}
        session.imagesChanged.connect(self.reload)
        session.imageChanged.connect(self.refresh)
        session.landmarksChanged.connect(self.refresh)
        session.templateChanged.connect(self._refresh_all)
        loader.thumbnailReady.connect(self._thumbnail_ready)
        loader.thumbnailFailed.connect(self._thumbnail_failed)
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._ids = [r.id for r in self._session.images()]
        self._summaries.clear()
        self._icons.clear()
        self.endResetModel()

    def detach(self) -> None:
        """Forget every image: the session is about to close, late signals must find none."""
        self.beginResetModel()
        self._ids = []
        self._summaries.clear()
        self._icons.clear()
        self.endResetModel()

    def refresh(self, image_id: int) -> None:
        if image_id in self._ids:
            self._summaries.pop(image_id, None)
            self._icons.pop(image_id, None)
            row = self._ids.index(image_id)
            self.dataChanged.emit(self.index(row), self.index(row))

    def row_of(self, image_id: int) -> int:
        return self._ids.index(image_id) if image_id in self._ids else -1

    def state(self, image_id: int) -> ImageState:
        return self.summary(image_id).state

    def summary(self, image_id: int) -> ImageSummary:
        if image_id not in self._summaries:
            rec = self._session.image(image_id)
            self._summaries[image_id] = summarise(
                rec, self._session.landmarks(image_id), self._session.template_id()
            )
        return self._summaries[image_id]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        image_id = self._ids[index.row()]
        if role == IdRole:
            return image_id
        if role == StateRole:
            return self.state(image_id).value
        if role == QueueRole:
            return self.summary(image_id).queue_key(index.row())
        rec = self._session.image(image_id)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{rec.name}\n{self.summary(image_id).text()}"
        if role == Qt.ItemDataRole.ToolTipRole:
            size = f"{rec.width} × {rec.height} px"
            spacing = f", {rec.spacing.col_mm:g} mm/px" if rec.spacing else ""
            problem = f"\n{self._failed[image_id]}" if image_id in self._failed else ""
            return f"{rec.path}\n{size}{spacing}{problem}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(image_id, rec.path)
        return None

    def _icon(self, image_id: int, path: Any) -> QPixmap:
        if image_id not in self._icons:
            thumb = self._loader.thumbnail(image_id)
            if thumb is None:
                self._loader.request_thumbnail(image_id, path)
            self._icons[image_id] = _badged(thumb, self.state(image_id))
        return self._icons[image_id]

    def _thumbnail_ready(self, image_id: int, _image: QImage) -> None:
        self.refresh(image_id)

    def _thumbnail_failed(self, image_id: int, message: str) -> None:
        self._failed[image_id] = message
        self.refresh(image_id)

    def _refresh_all(self) -> None:
        for image_id in list(self._ids):
            self.refresh(image_id)


def _badged(thumb: QImage | None, state: ImageState) -> QPixmap:
    """The thumbnail centred in a square tile with the state's icon in its corner."""
    tile = QPixmap(ICON_SIZE)
    tile.fill(QColor("#20232a"))
    painter = QPainter(tile)
    if thumb is not None:
        scaled = thumb.scaled(ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
        painter.drawImage((ICON_SIZE.width() - scaled.width()) // 2,
                          (ICON_SIZE.height() - scaled.height()) // 2, scaled)
    name, color = STATE_ICONS[state]
    badge = 22
    painter.setBrush(QColor(20, 22, 28, 210))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRect(ICON_SIZE.width() - badge - 1, ICON_SIZE.height() - badge - 1,
                              badge, badge))
    qta.icon(name, color=color).paint(
        painter, QRect(ICON_SIZE.width() - badge + 2, ICON_SIZE.height() - badge + 2,
                       badge - 6, badge - 6))
    painter.end()
    return tile


class _StateFilter(QSortFilterProxyModel):
    """Rows of one state (or all), in review order or in the order added."""

    def __init__(self) -> None:
        super().__init__()
        self._state: str | None = None
        self._review_order = True
        self.setDynamicSortFilter(True)   # a reviewed image leaves the top at once
        self.sort(0)

    def set_review_order(self, on: bool) -> None:
        self._review_order = on
        self.invalidate()

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,  # noqa: N802 (Qt override)
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        if self._review_order:
            return left.data(QueueRole) < right.data(QueueRole)
        return left.row() < right.row()

    def set_state(self, state: str | None) -> None:
        self.beginFilterChange()
        self._state = state
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self._state is None:
            return True
        index = self.sourceModel().index(row, 0, parent)
        return self.sourceModel().data(index, StateRole) == self._state


class ImageListPanel(QWidget):
    """The list with its status filter; ``currentImageChanged`` when the user picks one."""

    currentImageChanged = Signal(int)

    def __init__(self, session: ProjectSession, loader: ImageLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ImageListModel(session, loader)
        self._proxy = _StateFilter()
        self._proxy.setSourceModel(self.model)
        self.filter = QComboBox()
        self.filter.addItem("All images", None)
        for state in ImageState:
            name, color = STATE_ICONS[state]
            self.filter.addItem(qta.icon(name, color=color), state.value.capitalize(),
                                state.value)
        self.filter.currentIndexChanged.connect(
            lambda _i: self._proxy.set_state(self.filter.currentData()))
        self.order = QComboBox()
        self.order.addItem(qta.icon("mdi6.sort-ascending"), "Least confident first")
        self.order.addItem(qta.icon("mdi6.sort-numeric-ascending"), "Order added")
        self.order.setToolTip("Review order lists the images still to review first, the "
                              "least confident on top: Enter opens them in this order")
        self.order.currentIndexChanged.connect(
            lambda i: self._proxy.set_review_order(i == 0))
        for combo in (self.filter, self.order):   # long texts must not widen the panel
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        self.view = QListView()
        self.view.setModel(self._proxy)
        self.view.setIconSize(ICON_SIZE)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(2)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.count = QLabel()
        self.count.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filter)
        layout.addWidget(self.order)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        for signal in (self.model.modelReset, self.model.dataChanged, self.filter.activated,
                       self._proxy.layoutChanged):
            signal.connect(self._update_count)
        self._update_count()

    def current_id(self) -> int | None:
        index = self.view.currentIndex()
        return index.data(IdRole) if index.isValid() else None

    def select(self, image_id: int) -> None:
        row = self.model.row_of(image_id)
        if row < 0:
            return
        index = self._proxy.mapFromSource(self.model.index(row))
        if not index.isValid():  # hidden by the filter: show everything again
            self.filter.setCurrentIndex(0)
            index = self._proxy.mapFromSource(self.model.index(row))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)

    def step(self, delta: int) -> None:
        """Go to the next (``+1``) or previous (``-1``) image shown by the filter."""
        rows = self._proxy.rowCount()
        if rows == 0:
            return
        current = self.view.currentIndex()
        row = current.row() + delta if current.isValid() else 0
        self.view.setCurrentIndex(self._proxy.index(max(0, min(rows - 1, row)), 0))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.currentImageChanged.emit(current.data(IdRole))

    def _update_count(self, *_args: Any) -> None:
        shown, total = self._proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{total} images" if shown == total else f"{shown} of {total} images")
