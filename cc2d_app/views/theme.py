"""A dark theme: radiographs are read on dark surroundings, so the chrome stays out of the way."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_STYLE = """
QWidget { font-size: 10pt; }
QMainWindow, QDialog { background: #1e2126; }
QLabel#heading { font-size: 11pt; padding: 2px 0 6px 0; }
QLabel#muted { color: #9aa0aa; }
QLabel#description { background: #262a31; border: 1px solid #343a44; border-radius: 6px;
                     padding: 8px; }
QPushButton { padding: 6px 12px; border-radius: 5px; background: #2d323b;
              border: 1px solid #3b424e; }
QPushButton:hover { background: #363c47; }
QPushButton:checked { background: #2f5d8a; border-color: #4a90e2; }
QPushButton:disabled { color: #6b717c; background: #25292f; border-color: #2e333b; }
QPushButton#primary { background: #2f6fb3; border-color: #3f84cc; color: white;
                      font-weight: bold; padding: 9px 14px; }
QPushButton#primary:hover { background: #3a7fc6; }
QPushButton#primary:disabled { background: #26384b; color: #7d8896; border-color: #2d3f52; }
QTreeWidget, QListView { background: #22262c; border: 1px solid #343a44; border-radius: 4px; }
QTreeWidget::item, QListView::item { padding: 3px; }
QTreeWidget::item:selected, QListView::item:selected { background: #2f5d8a; }
QTabWidget::pane { border: none; }
QToolBar { spacing: 4px; padding: 3px; border-bottom: 1px solid #2b3038; }
QStatusBar { border-top: 1px solid #2b3038; }
QSplitter::handle { background: #2b3038; }
QProgressBar { border: 1px solid #3b424e; border-radius: 4px; background: #22262c;
               text-align: center; min-height: 18px; }
QProgressBar::chunk { background: #2f6fb3; border-radius: 3px; }
/* Fusion draws indicators from the palette, nearly invisible on dark grey. */
QRadioButton::indicator, QCheckBox::indicator { width: 13px; height: 13px;
    border: 1px solid #8a93a0; background: #22262c; }
QRadioButton::indicator { border-radius: 7px; }
QCheckBox::indicator { border-radius: 3px; }
QRadioButton::indicator:checked { background: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5,
    fx: 0.5, fy: 0.5, stop: 0 #4a90e2, stop: 0.5 #4a90e2, stop: 0.6 #22262c, stop: 1 #22262c);
    border-color: #4a90e2; }
QCheckBox::indicator:checked { background: #4a90e2; border-color: #4a90e2; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1e2126",
        QPalette.ColorRole.WindowText: "#e3e6eb",
        QPalette.ColorRole.Base: "#22262c",
        QPalette.ColorRole.AlternateBase: "#272b32",
        QPalette.ColorRole.Text: "#e3e6eb",
        QPalette.ColorRole.Button: "#2d323b",
        QPalette.ColorRole.ButtonText: "#e3e6eb",
        QPalette.ColorRole.Highlight: "#2f5d8a",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2d323b",
        QPalette.ColorRole.ToolTipText: "#e3e6eb",
        QPalette.ColorRole.PlaceholderText: "#7d8896",
        QPalette.ColorRole.Link: "#6aaef0",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b717c"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText,
                     QColor("#6b717c"))
    app.setPalette(palette)
    app.setStyleSheet(_STYLE)
