"""Entry point of the desktop app (``cc2d-app``). The full GUI arrives with its own issue;
for now a window that says what the engine can already do from the command line."""

from __future__ import annotations

import sys


def main() -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    window = QMainWindow()
    window.setWindowTitle("CC2D landmark studio")
    label = QLabel(
        "<h2>CC2D landmark studio</h2>"
        "<p>The annotation and review screens are being built.</p>"
        "<p>The engine works today from the command line:<br>"
        "<code>cc2d run --images DIR --template IMG --labels CSV --out RUN</code><br>"
        "<code>cc2d ssl train --images DIR --template IMG --labels CSV --out RUN</code><br>"
        "<code>cc2d project create|add|import|export|status ...</code><br>"
        "<code>cc2d evaluate --pred preds.csv --truth labels.csv --spacing 0.1</code></p>"
    )
    label.setMargin(24)
    window.setCentralWidget(label)
    window.resize(720, 360)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
