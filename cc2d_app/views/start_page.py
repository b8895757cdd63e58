"""The page shown while no project is open: what the app does, how to start, recent projects."""

from __future__ import annotations

import time
from pathlib import Path

import qtawesome
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.dialogs import file_dialogs
from cc2d_app.settings import AppSettings

CONTENT_MAX_WIDTH = 760
ACCENT = "#3c78d8"
_FOLDER_ROLE = Qt.ItemDataRole.UserRole
_NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class _RecentDelegate(QStyledItemDelegate):
    """Two lines per recent project: its name in bold, its folder muted below."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        height = option.fontMetrics.height()
        return QSize(option.rect.width(), 2 * height + 22)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the style draws background, focus and icon; the text is ours
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        icon_room = opt.decorationSize.width() + 20
        rect = option.rect.adjusted(icon_room, 6, -10, -6)
        line = option.fontMetrics.height()
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(opt.palette.color(text_role))
        top = QRect(rect.left(), rect.top() + 2, rect.width(), line)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         str(index.data(_NAME_ROLE)))
        painter.setFont(option.font)
        if not selected:
            painter.setPen(opt.palette.color(QPalette.ColorRole.PlaceholderText))
        folder = option.fontMetrics.elidedText(
            str(index.data(_FOLDER_ROLE)), Qt.TextElideMode.ElideMiddle, rect.width()
        )
        bottom = QRect(rect.left(), top.bottom() + 4, rect.width(), line)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         folder)
        painter.restore()


def _mute(label: QLabel) -> None:
    """Secondary text: the theme's placeholder colour, readable in light and dark themes."""
    palette = label.palette()
    palette.setColor(
        QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
    )
    label.setPalette(palette)


# Font sizes go through style sheets: the app theme's "QWidget { font-size }" rule would
# override QFont sizes, while a widget's own style sheet wins over the app's.


class _ActionCard(QPushButton):
    """A big button: icon, bold title and a one-line hint, like a card."""

    def __init__(self, icon: str, title: str, hint: str):
        super().__init__()
        self.setAccessibleName(title)
        self.setToolTip(hint)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumHeight(136)
        # Ignored width: the three cards share the row equally whatever their text.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(
            "QPushButton { border: 1px solid palette(mid); border-radius: 10px;"
            " background: palette(base); }"
            f"QPushButton:hover, QPushButton:focus {{ border: 2px solid {ACCENT}; }}"
            "QPushButton:pressed { background: palette(alternate-base); }"
        )
        picture = QLabel()
        picture.setPixmap(qtawesome.icon(icon, color=ACCENT).pixmap(44, 44))
        heading = QLabel(title)
        heading.setStyleSheet("font-size: 12pt; font-weight: bold;")
        detail = QLabel(hint)
        detail.setWordWrap(True)
        _mute(detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(6)
        for label in (picture, heading, detail):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            # Clicks on the texts must reach the button.
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        layout.addStretch(1)


class StartPage(QWidget):
    """Welcome page: New project…, Open project…, Open demo and the recent projects."""

    newProjectRequested = Signal()
    openProjectRequested = Signal(str)  # a project folder
    demoRequested = Signal()

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._settings = settings or AppSettings()
        self.setObjectName("startPage")

        column = QWidget()
        column.setMaximumWidth(CONTENT_MAX_WIDTH)
        column.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        content = QVBoxLayout(column)
        content.setSpacing(12)
        content.addLayout(self._header())
        content.addSpacing(20)
        content.addLayout(self._actions())
        content.addSpacing(28)
        content.addWidget(self._section_label("Recent projects"))
        self._recent = QListWidget()
        self._recent.setObjectName("recentList")
        self._recent.setItemDelegate(_RecentDelegate(self._recent))
        self._recent.setIconSize(QSize(24, 24))
        self._recent.setUniformItemSizes(True)
        self._recent.setAlternatingRowColors(False)
        self._last_open: tuple[str, float] | None = None
        self._recent.setToolTip("Click or press Enter to open")
        self._recent.itemClicked.connect(self._open_recent)
        self._recent.itemActivated.connect(self._open_recent)
        content.addWidget(self._recent, stretch=1)
        self._no_recent = QLabel("Projects you open will be listed here.")
        self._no_recent.setObjectName("noRecentLabel")
        _mute(self._no_recent)
        content.addWidget(self._no_recent)
        content.addStretch(0)

        centring = QHBoxLayout()
        centring.addStretch(1)
        centring.addWidget(column, stretch=100)
        centring.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 48, 32, 32)
        outer.addLayout(centring)
        self.refresh()

    def refresh(self) -> None:
        """Reload the recent projects (vanished folders are already left out)."""
        self._recent.clear()
        icon = qtawesome.icon("mdi6.folder-outline", color=self.palette().text().color())
        for project in self._settings.recent_projects():
            item = QListWidgetItem(icon, f"{project.name} — {project.path}")
            item.setData(_FOLDER_ROLE, str(project.path))
            item.setData(_NAME_ROLE, project.name)
            item.setToolTip(str(project.path))
            self._recent.addItem(item)
        has_recent = self._recent.count() > 0
        self._recent.setVisible(has_recent)
        self._no_recent.setVisible(not has_recent)
        if has_recent:
            self._recent.setCurrentRow(0)

    def showEvent(self, event: QShowEvent) -> None:
        # Coming back from a closed project must list it: refresh whenever shown.
        self.refresh()
        super().showEvent(event)

    def _header(self) -> QVBoxLayout:
        logo = QLabel()
        logo.setPixmap(qtawesome.icon("mdi6.crosshairs-gps", color=ACCENT).pixmap(56, 56))
        title = QLabel("CC2D landmark studio")
        title.setObjectName("startTitle")
        title.setStyleSheet("font-size: 22pt; font-weight: bold;")
        steps = QLabel("Annotate one radiograph  →  train  →  review all")
        steps.setObjectName("startSteps")
        steps.setStyleSheet("font-size: 13pt;")
        blurb = QLabel(
            "Place the landmarks on a single radiograph. The model learns them from that one "
            "example and places them on every other radiograph of the folder; you check and "
            "correct each one."
        )
        blurb.setWordWrap(True)
        _mute(blurb)
        layout = QVBoxLayout()
        layout.setSpacing(6)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addWidget(steps)
        layout.addWidget(blurb)
        return layout

    def _actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(16)
        for name, icon, title, hint, slot in (
            ("newProjectButton", "mdi6.folder-plus", "New project…",
             "Start from a radiograph folder", self.newProjectRequested.emit),
            ("openProjectButton", "mdi6.folder-open", "Open project…",
             "Continue a project made before", self._open_project),
            ("demoButton", "mdi6.school", "Open demo",
             "Try it on built-in sample images", self.demoRequested.emit),
        ):
            card = _ActionCard(icon, title, hint)
            card.setObjectName(name)
            card.clicked.connect(slot)
            row.addWidget(card, stretch=1)
        return row

    @staticmethod
    def _section_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        return label

    def _open_project(self) -> None:
        start = self._settings.last_folder("project")
        folder = file_dialogs.choose_directory(self, "Open project folder", start)
        if folder:
            self._settings.set_last_folder("project", Path(folder).parent)
            self.openProjectRequested.emit(folder)

    def _open_recent(self, item: QListWidgetItem) -> None:
        # One click opens; the double-click a user may still give must not open it twice.
        folder, now = item.data(_FOLDER_ROLE), time.monotonic()
        if self._last_open is not None and self._last_open[0] == folder and (
                now - self._last_open[1]) * 1000 < QApplication.doubleClickInterval() + 200:
            return
        self._last_open = (folder, now)
        self.openProjectRequested.emit(folder)
