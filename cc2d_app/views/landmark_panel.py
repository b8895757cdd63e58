"""The landmark panel: the schema's landmarks, which are placed, which comes next, Train
(and, in review, Improve with my corrections).

It shows what it is given (``show_image``) and reports picks; the main window decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.logic.palette import WARNING, landmark_colors
from cc2d_app.logic.review import is_low, landmark_order
from engine.project import Landmark, LandmarkSchema, LandmarkSource


def missing_text(schema: LandmarkSchema, missing: Sequence[int], limit: int = 6) -> str:
    """``"Go, LIT and 3 more"`` for the landmarks still to place."""
    labels = [schema.label(i) for i in missing]
    if len(labels) <= limit:
        return ", ".join(labels)
    return ", ".join(labels[:limit]) + f" and {len(labels) - limit} more"


def _swatch(color: str) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(QColor(color))
    return QIcon(pix)


class LandmarkPanel(QWidget):
    """Rows: colour, number, abbreviation, name, placed; a description of the active one."""

    landmarkActivated = Signal(int)
    trainRequested = Signal()
    restoreRequested = Signal(int)
    reviewedRequested = Signal()

    def __init__(self, schema: LandmarkSchema, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._schema = schema
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["#", "", "Landmark", ""])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        colors = landmark_colors(schema)
        self._items: list[QTreeWidgetItem] = []
        for i, lm in enumerate(schema.landmarks):
            item = QTreeWidgetItem([str(i + 1), lm.abbreviation or "", lm.name, ""])
            item.setIcon(1, _swatch(colors[i]))
            item.setToolTip(2, self._description(i) or lm.name)
            item.setData(0, Qt.ItemDataRole.UserRole, i)
            self._items.append(item)
            self.tree.addTopLevelItem(item)
        self._order = list(range(len(schema)))
        self.tree.itemClicked.connect(
            lambda item, _col: self.landmarkActivated.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("description")
        self.description.setMinimumHeight(48)
        self.train = QPushButton(qta.icon("mdi6.school", color="white"), "  Train on this template")
        self.train.setObjectName("primary")
        self.train.clicked.connect(self.trainRequested)
        self.train_hint = QLabel()
        self.train_hint.setWordWrap(True)
        self.train_hint.setObjectName("muted")
        self.restore = QPushButton(qta.icon("mdi6.restore"), "Restore prediction")
        self.restore.setToolTip("Put the selected landmark back where the model predicted it")
        self.restore.clicked.connect(self._restore_clicked)
        self.reviewed = QPushButton(qta.icon("mdi6.check-circle", color="white"),
                                    "  Reviewed — next image (Enter)")
        self.reviewed.setObjectName("primary")
        self.reviewed.clicked.connect(self.reviewedRequested)
        # Improve with my corrections: the window's action (bind_improve), shown in review.
        self.improve = QToolButton()
        self.improve.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.improve.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.improve_hint = QLabel()
        self.improve_hint.setWordWrap(True)
        self.improve_hint.setObjectName("muted")
        self._reviewing = False
        self._selected: int | None = None
        self._can_restore: list[bool] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.description)
        layout.addWidget(self.restore)
        layout.addWidget(self.reviewed)
        layout.addWidget(self.improve)
        layout.addWidget(self.improve_hint)
        layout.addWidget(self.train)
        layout.addWidget(self.train_hint)
        self._placed = QIcon(qta.icon("mdi6.check", color="#3fae5a"))
        self._low = QIcon(qta.icon("mdi6.alert", color=WARNING))
        self._corrected = QIcon(qta.icon("mdi6.pencil", color="#b48ee0"))

    def show_image(self, landmarks: Sequence[Landmark | None], active: int | None,
                   is_template: bool, template_missing: Sequence[int] | None,
                   can_restore: Sequence[bool] = ()) -> None:
        """Refresh rows, the active one and the buttons; ``template_missing`` None: no
        template. An image with predictions is in review: low-confidence rows come first."""
        placed = sum(lm is not None for lm in landmarks)
        reviewing = not is_template and any(
            lm is not None and lm.source != LandmarkSource.TEMPLATE for lm in landmarks)
        low = sum(is_low(lm) for lm in landmarks)
        self.heading.setText(
            f"<b>{placed} of {len(landmarks)} landmarks placed</b>"
            + (" on the template" if is_template else "")
            + (f" · <span style='color:{WARNING}'>{low} to check</span>" if low else ""))
        self._set_order(landmark_order(landmarks) if reviewing else range(len(landmarks)))
        for i, lm in enumerate(landmarks):
            item = self._items[i]
            item.setIcon(3, self._status_icon(lm))
            item.setText(3, "" if lm is None or lm.confidence is None
                         else f"{lm.confidence:.2f}")
            font = item.font(2)
            font.setBold(i == active)
            item.setFont(2, font)
        self._can_restore = list(can_restore)
        if active is not None:
            self.tree.setCurrentItem(self._items[active])
            self.tree.scrollToItem(self._items[active])
            lm = self._schema.landmarks[active]
            what = self._description(active)
            verb = "Click to place" if landmarks[active] is None else "Click to move"
            title = f"{lm.abbreviation} — {lm.name}" if lm.abbreviation else lm.name
            self.description.setText(f"<b>{verb}: {title}</b>" + (f"<br>{what}" if what else ""))
        elif reviewing:
            self.description.setText(
                "Check each point; drag any that is off. Dashed rings and the rows on top are "
                "the least confident. Enter marks the image reviewed and opens the next.")
        else:
            self.tree.clearSelection()
            self.description.setText("All landmarks placed. Drag a point to adjust it, "
                                     "or pick a landmark to place it again.")
        self.reviewed.setVisible(reviewing)
        self._reviewing = reviewing
        self._show_improve()
        self.restore.setVisible(reviewing)
        self._update_restore()
        self._update_train(template_missing)
        self.train.setVisible(not reviewing)
        self.train_hint.setVisible(not reviewing)

    def bind_improve(self, action: QAction) -> None:
        """The button triggers ``action`` and follows its state; the hint says why it is off."""
        self.improve.setDefaultAction(action)
        action.changed.connect(self._show_improve)
        self._show_improve()

    def _show_improve(self) -> None:
        action = self.improve.defaultAction()
        bound = action is not None and self._reviewing
        self.improve.setVisible(bound)
        self.improve_hint.setText("" if action is None or action.isEnabled() else action.toolTip())
        self.improve_hint.setVisible(bound and bool(self.improve_hint.text()))

    def select(self, index: int | None) -> None:
        """The landmark selected on the canvas (what Restore prediction acts on)."""
        self._selected = index
        if index is not None:
            self.tree.setCurrentItem(self._items[index])
        self._update_restore()

    def _update_restore(self) -> None:
        i = self._selected
        self.restore.setEnabled(i is not None and i < len(self._can_restore)
                                and self._can_restore[i])

    def _restore_clicked(self) -> None:
        if self._selected is not None:
            self.restoreRequested.emit(self._selected)

    def _set_order(self, order: Iterable[int]) -> None:
        order = list(order)
        if order == self._order:
            return
        for _ in range(self.tree.topLevelItemCount()):
            self.tree.takeTopLevelItem(0)
        self.tree.addTopLevelItems([self._items[i] for i in order])
        self._order = order

    def _status_icon(self, lm: Landmark | None) -> QIcon:
        if lm is None:
            return QIcon()
        if is_low(lm):
            return self._low
        if lm.source == LandmarkSource.CORRECTED:
            return self._corrected
        return self._placed

    def _update_train(self, missing: Sequence[int] | None) -> None:
        if missing is None:
            self.train.setEnabled(False)
            self.train_hint.setText("The first image you annotate becomes the template "
                                    "(or choose one: Image ▸ Set as template).")
        elif missing:
            self.train.setEnabled(False)
            self.train_hint.setText(
                f"Place every landmark on the template: every image then gets instant "
                f"predictions. Still missing ({len(missing)}): "
                f"{missing_text(self._schema, missing)}.")
        else:
            self.train.setEnabled(True)
            self.train_hint.setText(
                "The template is complete: every image gets instant predictions. Training "
                "learns a detector from them that is more accurate.")

    def _description(self, index: int) -> str:
        return self._schema.landmarks[index].description or ""
