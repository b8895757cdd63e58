"""Render every screen of the app to docs/screenshots/ (PNG), driving it with real events.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/render_screenshots.py [--isbi DIR]

Then the review queue, overlapping incisors, the training panel mid-run and resumed, and
the export dialog (render_review_shots.py). Uses real ISBI 2015 images from
``../shared/data/isbi2015`` (never copied: the project refers to them where they are) and
the phantom demo. Works under Xvfb too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--isbi", default=str(REPO.parent / "shared" / "data" / "isbi2015"))
    parser.add_argument("--template", default="125.jpg")
    args = parser.parse_args()
    isbi = Path(args.isbi)
    if not (isbi / "images").is_dir():
        print(f"no ISBI data at {isbi}; pass --isbi DIR", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="cc2d-shots-"))
    os.environ["CC2D_SETTINGS_DIR"] = str(scratch / "settings")
    sys.path.insert(0, str(REPO))

    from app_events import open_main_window, pump, wait_until
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton
    from render_review_shots import render_review_and_training

    from cc2d_app.dialogs.new_project_dialog import NewProjectDialog
    from cc2d_app.session import ProjectSession
    from engine.data.landmarks import read_landmark_csv
    from engine.project import default_schema

    app, window = open_main_window()
    pump(app)

    # A project over twelve real cephalograms, made as the app makes it.
    names = [f"{i:03d}.jpg" for i in range(120, 132)]
    project_dir = scratch / "isbi_cc2d"
    ProjectSession.create(project_dir, default_schema()).close()
    window.open_project(str(project_dir))
    window.add_images([isbi / "images" / n for n in names])
    wait_until(app, lambda: len(window.session.images()) == len(names)
               and window.progress.isHidden())
    # The app proposes the most representative image as the template (ADR 0011).
    wait_until(app, lambda: window.session.template_id() is not None)
    pump(app, 0.5)
    window.grab().save(str(OUT / "template_suggested.png"))
    window.close_project()
    pump(app)
    window.start.grab().save(str(OUT / "start_page.png"))

    dialog = NewProjectDialog(window)
    dialog.open()
    field = dialog.findChild(QLineEdit, "imagesFolder")
    QTest.keyClicks(field, str(isbi / "images"))
    pump(app, 0.8)
    dialog.grab().save(str(OUT / "new_project.png"))
    dialog.reject()

    window.open_project(str(project_dir))
    ws = window.workspace
    by_name = {r.name: r.id for r in window.session.images()}
    ws.show_image(by_name[args.template])
    canvas = ws.canvas
    rec = window.session.image(by_name[args.template])
    wait_until(app, lambda: canvas.image_size() == (rec.width, rec.height))
    window.activateWindow()  # the dialog had it; the shortcut needs the active window
    pump(app)
    QTest.keyClick(canvas, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.session.template_id() == rec.id, "Ctrl+T did not set the template"
    truth = read_landmark_csv(isbi / "landmarks.csv").get(args.template)
    for i in range(10):  # a template half done: the loupe and the next landmark's name
        QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         canvas.image_to_viewport(*truth[i]).toPoint())
    pump(app)
    ws.loader.wait()  # the thumbnails of the rows on screen
    nxt = canvas.image_to_viewport(truth[10][0] - 3, truth[10][1] - 2)
    canvas.viewport().setFocus()
    move = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(nxt), canvas.viewport().mapToGlobal(
        QPointF(nxt)), Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.viewport(), move)
    pump(app)
    window.grab().save(str(OUT / "annotate_loupe.png"))

    for i in range(10, len(truth)):
        QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         canvas.image_to_viewport(*truth[i]).toPoint())
    QApplication.sendEvent(canvas.viewport(), QEvent(QEvent.Type.Leave))
    pump(app)
    window.grab().save(str(OUT / "template_placed.png"))

    # Calibration: a 40 mm line along the nasion–sella direction, then the length dialog.
    window.act_calibrate.trigger()
    a = canvas.image_to_viewport(*truth[0]).toPoint()
    b = canvas.image_to_viewport(*truth[1]).toPoint()
    QTest.mousePress(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     a)
    for k in range(1, 6):
        QTest.mouseMove(canvas.viewport(), a + (b - a) * k / 5)
    QTest.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier, b)
    pump(app)
    window.grab().save(str(OUT / "calibration.png"))
    for w in app.topLevelWidgets():
        if w.isVisible() and w.windowTitle() == "Calibrate pixel size":
            w.grab().save(str(OUT / "calibration_dialog.png"))
            w.reject()
    pump(app)
    render_measurements(app, window, by_name[args.template], scratch)
    render_review_and_training(app, window, OUT)

    window.close_project()
    QTest.mouseClick(window.start.findChild(QPushButton, "demoButton"), Qt.MouseButton.LeftButton)
    wait_until(app, lambda: window.session is not None and window.session.name == "project")
    wait_until(app, lambda: window.workspace.canvas.image_size() != (0, 0))
    pump(app, 0.8)
    window.grab().save(str(OUT / "demo.png"))
    window.close()
    print(f"screenshots in {OUT}")
    return 0


def render_measurements(app, window, image_id: int, scratch: Path) -> None:
    """The Analysis tab with three analyses (ISBI, Steiner, Björk–Jarabak) and ANB drawn,
    the compare dialog, and the report's first two pages (needs pdftoppm)."""
    import shutil
    import subprocess

    from app_events import pump
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from cc2d_app.controllers.report_actions import report_data
    from cc2d_app.dialogs.patient_dialog import PatientDialog
    from cc2d_app.views.report import write_report
    from engine.project import PatientFields

    ws = window.workspace
    window.session.set_calibration(image_id, 0.2)  # the ISBI copies' pixel size (their README)
    bar = ws.side_tabs.tabBar()
    tab = next(k for k in range(bar.count()) if bar.tabText(k) == "Analysis")
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tab).center())
    for action in ws.measurements.menu.actions():   # as picked in the Analyses menu
        if action.text().startswith(("Steiner", "Björk")):
            action.trigger()
    tree = ws.measurements.tree
    row = next(tree.topLevelItem(k) for k in range(tree.topLevelItemCount())
               if tree.topLevelItem(k).text(0) == "ANB")
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(row).center())
    window.statusBar().clearMessage()
    pump(app)
    window.grab().save(str(OUT / "measurements.png"))
    # Compare with another image (its instant predictions: another patient, so the shifts
    # are large; the dialog is the same for two radiographs of one patient).
    from app_events import wait_until

    from cc2d_app.dialogs.compare_dialog import CompareDialog

    session = window.session
    wait_until(app, lambda: any(any(p is not None for p in session.landmarks(r.id))
                                for r in session.images() if r.id != image_id), 120)
    QTest.mouseClick(ws.measurements.compare, Qt.MouseButton.LeftButton)
    pump(app, 0.5)
    compare = window.findChild(CompareDialog)
    compare.grab().save(str(OUT / "compare.png"))
    compare.reject()
    window.session.set_patient(image_id, PatientFields(
        "Sample, Patient", "ISBI-125", "", "2015-01-01", "ISBI 2015 annotators"))
    window.act_patient.trigger()
    pump(app, 0.3)
    dialog = window.findChild(PatientDialog)
    dialog.grab().save(str(OUT / "patient_dialog.png"))
    dialog.reject()
    pdf = write_report(scratch / "report.pdf", report_data(
        window.session, image_id, ws.analyses.measuring(), None, ws.analyses.sigma_note()))
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found (poppler-utils): report.png not rendered", file=sys.stderr)
        return
    for page, name in ((1, "report"), (2, "report_page2")):
        subprocess.run(["pdftoppm", "-png", "-r", "120", "-singlefile", "-f", str(page), "-l",
                        str(page), str(pdf), str(OUT / name)], check=True)


if __name__ == "__main__":
    sys.exit(main())
