"""The screens after the template (called by render_screenshots.py, driving the real window):
the review queue with instant predictions, overlapping incisors at fit zoom, the training
panel mid-run and after Cancel → Train resumed, and the export dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_events import pump, wait_until
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest

INCISORS = ("LIT", "UIT")


def render_review_and_training(app: Any, window: Any, out: Path) -> None:
    from cc2d_app.dialogs.export_dialog import ExportDialog
    from cc2d_app.dialogs.train_dialog import TrainDialog

    ws, session = window.workspace, window.session
    # The template is complete: the instant match runs by itself; the list turns into the
    # review queue (least confident first, doubtful points per image).
    wait_until(app, lambda: not ws.matching.busy and bool(session.review_queue()), 600)
    pump(app, 0.5)
    queue = session.review_queue()
    ws.images.select(queue[0])
    rec = session.image(queue[0])
    wait_until(app, lambda: ws.canvas.image_size() == (rec.width, rec.height), 60)
    _open_tab(ws, "Landmarks")
    window.statusBar().clearMessage()
    ws.loader.wait()
    pump(app, 0.8)
    window.grab().save(str(out / "review.png"))

    # The incisor tips at fit zoom: labels placed apart, hover names the nearest point.
    labels = [session.schema.label(i) for i in range(len(session.schema))]
    lit, uit = (labels.index(a) for a in INCISORS)
    points = session.landmarks(queue[0])
    centre = ws.canvas.image_to_viewport((points[lit].x + points[uit].x) / 2,
                                         (points[lit].y + points[uit].y) / 2).toPoint()
    QTest.mouseMove(ws.canvas.viewport(), ws.canvas.image_to_viewport(
        points[lit].x, points[lit].y).toPoint())
    pump(app, 0.3)
    ws.canvas.grab(QRect(centre - QPoint(160, 110), centre + QPoint(160, 110))).save(
        str(out / "overlap_incisors.png"))

    # Train ▸ CPU ▸ Clinic: mid-run, then Cancel and Train again, which resumes the run.
    ws.show_image(session.template_id())
    pump(app, 0.5)
    panel = ws.training_panel
    seen = 0   # loss points shown when the first attempt was cancelled
    for attempt, shot in enumerate(("training_panel.png", "training_resumed.png")):
        _open_tab(ws, "Landmarks")   # where Train is; a training shows its own tab
        window.activateWindow()
        QTest.mouseClick(ws.landmarks.train, Qt.MouseButton.LeftButton)
        # The first attempt's dialog is still a (hidden) child: take the one on screen.
        wait_until(app, lambda: any(d.isVisible() for d in window.findChildren(TrainDialog)), 30)
        dialog = next(d for d in window.findChildren(TrainDialog) if d.isVisible())
        for radio in (dialog.device_cpu, dialog.profile_clinic):
            QTest.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
        QTest.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        wait_until(app, lambda: ws.training.busy, 30)
        wanted = 12 if attempt == 0 else seen + 4   # the replayed curve, then new points
        wait_until(app, lambda w=wanted: "Training the detector" in panel.stage_label.text()
                   and panel.plot.point_count() >= w, 1200)
        pump(app, 1.2)   # a redraw and the time left after a second
        window.grab().save(str(out / shot))
        cancel = panel.cancel_button
        QTest.mouseClick(cancel, Qt.MouseButton.LeftButton)
        wait_until(app, lambda: not ws.training.busy, 120)
        pump(app, 0.5)
        seen = panel.plot.point_count()
        if attempt == 1:
            window.grab().save(str(out / "training_cancelled.png"))

    window.activateWindow()
    dialog = ExportDialog(session, ws.current_id, window, window.settings)
    dialog.open()
    pump(app, 0.5)
    dialog.grab().save(str(out / "export_dialog.png"))
    dialog.reject()


def _open_tab(ws: Any, title: str) -> None:
    bar = ws.side_tabs.tabBar()
    tab = next(k for k in range(bar.count()) if bar.tabText(k) == title)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tab).center())
