"""Entry point of the desktop app (``cc2d-app [PROJECT_FOLDER]``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def app_icon_path() -> Path:
    """The app icon in ``resources/icons``; beside the packages in a checkout and a bundle."""
    return Path(__file__).resolve().parents[1] / "resources" / "icons" / "cc2d-studio.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cc2d-app", description="CC2D landmark studio")
    parser.add_argument("project", nargs="?", help="a project folder to open")
    parser.add_argument("--demo", action="store_true", help="open the demo project")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation (demo in a temporary folder), then exit")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    # Before Qt loads: a missing system library would otherwise abort inside Qt with a
    # hint that names only one of the packages needed.
    from cc2d_app.logic.platform_check import preflight

    problem = preflight()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    if args.self_test:
        from cc2d_app.self_test import run_self_test

        return run_self_test()

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from cc2d_app.dialogs.error_dialog import install_excepthook
    from cc2d_app.main_window import APP_NAME, MainWindow
    from cc2d_app.views.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setWindowIcon(QIcon(str(app_icon_path())))
    apply_theme(app)
    install_excepthook()
    window = MainWindow()
    window.show()
    if args.project:
        window.open_project(args.project)
    elif args.demo:
        window.open_demo()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
