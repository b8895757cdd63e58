"""Entry point of the desktop app (``cc2d-app [PROJECT_FOLDER]``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cc2d-app", description="CC2D landmark studio")
    parser.add_argument("project", nargs="?", help="a project folder to open")
    parser.add_argument("--demo", action="store_true", help="open the demo project")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    # Before Qt loads: a missing system library would otherwise abort inside Qt with a
    # hint that names only one of the packages needed.
    from cc2d_app.platform_check import preflight

    problem = preflight()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    from PySide6.QtWidgets import QApplication

    from cc2d_app.error_dialog import install_excepthook
    from cc2d_app.main_window import APP_NAME, MainWindow
    from cc2d_app.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
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
