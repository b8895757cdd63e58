"""The landmark panel: the schema's landmarks, which are placed, which comes next, Train.

It shows what it is given (``show_image``) and reports picks; the main window decides.
"""

from __future__ import annotations

from collections.abc import Sequence

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.project import Landmark, LandmarkSchema

FALLBACK_COLORS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4",
                   "#42d4f4", "#f032e6", "#bfef45", "#fabed4")


def landmark_colors(schema: LandmarkSchema) -> list[str]:
    """The schema's colours, a fixed palette where it has none."""
    return [lm.color or FALLBACK_COLORS[i % len(FALLBACK_COLORS)]
            for i, lm in enumerate(schema.landmarks)]


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

    def __init__(self, schema: LandmarkSchema, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._schema = schema
        self.heading = QLabel()
        self.heading.setObjectName("heading")
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
        for i, lm in enumerate(schema.landmarks):
            item = QTreeWidgetItem([str(i + 1), lm.abbreviation or "", lm.name, ""])
            item.setIcon(1, _swatch(colors[i]))
            item.setToolTip(2, self._description(i) or lm.name)
            item.setData(0, Qt.ItemDataRole.UserRole, i)
            self.tree.addTopLevelItem(item)
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.description)
        layout.addWidget(self.train)
        layout.addWidget(self.train_hint)
        self._placed = QIcon(qta.icon("mdi6.check", color="#3fae5a"))

    def show_image(self, landmarks: Sequence[Landmark | None], active: int | None,
                   is_template: bool, template_missing: Sequence[int] | None) -> None:
        """Refresh placed marks and the active row; ``template_missing`` None: no template."""
        placed = sum(lm is not None for lm in landmarks)
        self.heading.setText(f"<b>{placed} of {len(landmarks)} landmarks placed</b>"
                             + (" on the template" if is_template else ""))
        for i, lm in enumerate(landmarks):
            item = self.tree.topLevelItem(i)
            item.setIcon(3, self._placed if lm is not None else QIcon())
            font = item.font(2)
            font.setBold(i == active)
            item.setFont(2, font)
        if active is not None:
            self.tree.setCurrentItem(self.tree.topLevelItem(active))
            self.tree.scrollToItem(self.tree.topLevelItem(active))
            lm = self._schema.landmarks[active]
            what = self._description(active)
            verb = "Click to place" if landmarks[active] is None else "Click to move"
            title = f"{lm.abbreviation} — {lm.name}" if lm.abbreviation else lm.name
            self.description.setText(
                f"<b>{verb}: {title}</b>"
                + (f"<br>{what}" if what else ""))
        else:
            self.tree.clearSelection()
            self.description.setText("All landmarks placed. Drag a point to adjust it, "
                                     "or pick a landmark to place it again.")
        self._update_train(template_missing)

    def _update_train(self, missing: Sequence[int] | None) -> None:
        if missing is None:
            self.train.setEnabled(False)
            self.train_hint.setText("The first image you annotate becomes the template "
                                    "(or choose one: Image ▸ Set as template).")
        elif missing:
            self.train.setEnabled(False)
            self.train_hint.setText(
                f"Place every landmark on the template to train. Still missing "
                f"({len(missing)}): {missing_text(self._schema, missing)}.")
        else:
            self.train.setEnabled(True)
            self.train_hint.setText("The template is complete.")

    def _description(self, index: int) -> str:
        return self._schema.landmarks[index].description or ""
