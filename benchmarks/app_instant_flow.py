"""The app's instant flow on real ISBI 2015 images: how soon every image has points, and how
good the export is after instant matching, after reviewing k − 1 images, and after Train.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/app_instant_flow.py \
        [--data ../shared/data/isbi2015] [--k 3,10] [--no-train] [--out results.json]

In the real main window: a project over the 150 training and 150 test1 images, template
125.jpg clicked at the doctors' mean points with real mouse clicks. From the last click,
the seconds until the instant match has stored points on every image; the project's CSV
export is then scored on test1 (mm, 0.2 mm/pixel). Then the training images of
bench-fewshot's seeded order are corrected to the doctors' mean (the session's place, as
a drag ends) and marked reviewed with the Enter key, one by one: each review starts a
re-match of the unreviewed images; after k − 1 reviews the export is scored again. Last
(unless --no-train), Train ▸ CPU ▸ Clinic by clicks, and the export scored once more.
About 2 min + 15 s per review + 11 min for Train on 2 cores. Run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commit() -> str:
    if os.environ.get("CC2D_COMMIT"):
        return os.environ["CC2D_COMMIT"]
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def score_test1(session, test_names: set[str], truth, work: Path, tag: str) -> dict:
    """The project's CSV export, its test1 rows scored against the doctors' mean in mm."""
    from engine.data.landmarks import LandmarkTable, read_landmark_csv
    from engine.metrics import evaluate
    from engine.project import export_csv

    out = export_csv(session.reader(), work / f"export_{tag}.csv")
    table = read_landmark_csv(out)
    test = LandmarkTable(table.names, {Path(k).name: v for k, v in table.points.items()
                                       if Path(k).name in test_names})
    ev = evaluate(test, truth, 0.2)
    return {"mre": ev.mre, "std": ev.std, "sdr": ev.sdr, "n_images": ev.n_images,
            "n_points": ev.n_points}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/isbi2015")
    parser.add_argument("--template", default="125.jpg")
    parser.add_argument("--k", default="3,10", help="labelled images (template included)")
    parser.add_argument("--order-seed", type=int, default=0)
    parser.add_argument("--no-train", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" /
                        f"app_instant_flow_cpu_{date.today().isoformat()}.json")
    args = parser.parse_args()
    ks = sorted(int(k) for k in args.k.split(","))
    sys.path.insert(0, str(REPO))
    from engine.bench.fewshot import labelled_order
    from engine.bench.isbi import split_images
    from engine.data.landmarks import read_landmark_csv

    truth = read_landmark_csv(args.data / "landmarks.csv")
    splits = split_images(args.data, truth)
    work = Path(tempfile.mkdtemp(prefix="cc2d-app-instant-"))
    os.environ["CC2D_SETTINGS_DIR"] = str(work / "settings")
    images = work / "radiographs"   # links, never copies
    images.mkdir()
    for p in splits["train"] + splits["test1"]:
        (images / p.name).symlink_to(p.resolve())
    test_names = {p.name for p in splits["test1"]}

    from app_events import open_main_window, pump, wait_until
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDialog

    from cc2d_app.dialogs.train_dialog import TrainDialog
    from cc2d_app.session import ProjectSession
    from engine.environment import environment
    from engine.project import default_schema

    app, window = open_main_window()
    project_dir = work / "project"
    ProjectSession.create(project_dir, default_schema()).close()
    window.open_project(str(project_dir))
    window.add_images([images])
    # The project refuses byte-identical files: ISBI's test 173 and 283 are copies of
    # training images 144 and 038 (see the results' data note), so 298 images go in.
    pump(app, 2)
    wait_until(app, window.progress.isHidden, 900)
    pump(app, 1)
    # The notice of the two refused copies (and a template proposal) would take the keys:
    # closed as a user would, then the main window is active again.
    for dialog in QApplication.topLevelWidgets():
        if isinstance(dialog, QDialog) and dialog.isVisible():
            print(f"closing dialog: {dialog.windowTitle()}", flush=True)
            dialog.reject()
    window.activateWindow()
    wait_until(app, window.isActiveWindow, 30)
    n_images = len(window.session.images())
    ws, session = window.workspace, window.session
    matched: list[float] = []
    ws.matching.matched.connect(lambda _n: matched.append(time.perf_counter()))
    by_name = {r.name: r.id for r in session.images()}
    template_id = by_name[args.template]
    ws.show_image(template_id)
    rec = session.image(template_id)
    wait_until(app, lambda: ws.canvas.image_size() == (rec.width, rec.height), 60)
    ws.set_template_here()
    for x, y in truth.get(args.template):
        QTest.mouseClick(ws.canvas.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         ws.canvas.image_to_viewport(x, y).toPoint())
    t_click = time.perf_counter()
    wait_until(app, lambda: matched, 1800)
    first_s = matched[-1] - t_click
    others = [r.id for r in session.images() if r.id != template_id]
    assert all(all(p is not None for p in session.landmarks(i)) for i in others)
    results = {"instant": {"seconds_from_last_click": first_s,
                           "test1": score_test1(session, test_names, truth, work, "instant")}}
    print("instant", json.dumps(results["instant"]), flush=True)

    order = labelled_order(splits["train"], splits["train"][0].parent / args.template,
                           args.order_seed)
    rematch_s: list[float] = []
    reviewed: list[str] = []
    for path in order[:ks[-1] - 1]:
        image_id = by_name[path.name]
        ws.show_image(image_id)
        for i, (x, y) in enumerate(truth.get(path.name)):
            session.place(image_id, i, float(x), float(y))   # as a drag's release writes it
        before = len(matched)
        t0 = time.perf_counter()
        QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
        if session.image(image_id).status.value != "reviewed":
            raise RuntimeError(f"Enter did not mark {path.name} reviewed")
        wait_until(app, lambda b=before: len(matched) > b, 600)
        rematch_s.append(matched[-1] - t0)
        reviewed.append(path.name)
        k = len(reviewed) + 1
        if k in ks:
            results[f"k{k}"] = {"reviewed": list(reviewed), "seconds_enter_to_matched":
                                rematch_s[-1],
                                "test1": score_test1(session, test_names, truth, work, f"k{k}")}
            print(f"k={k}", json.dumps(results[f"k{k}"]["test1"]), flush=True)
    results["rematch_seconds"] = rematch_s

    if not args.no_train:
        window.activateWindow()
        QTest.mouseClick(ws.landmarks.train, Qt.MouseButton.LeftButton)
        dialog = window.findChild(TrainDialog)
        wait_until(app, dialog.isVisible, 30)
        for radio in (dialog.device_cpu, dialog.profile_clinic):
            QTest.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
        QTest.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        t0 = time.perf_counter()
        wait_until(app, lambda: ws.training.busy, 30)
        while ws.training.busy:
            pump(app, 1)
        results["clinic"] = {
            "labelled": len(reviewed) + 1, "seconds": time.perf_counter() - t0,
            "panel": ws.training_panel.state_label.text(),
            "test1": score_test1(session, test_names, truth, work, "clinic")}
        print("clinic", json.dumps(results["clinic"]), flush=True)
    window.close()

    import torch

    out = {"command": " ".join(["python", "benchmarks/app_instant_flow.py", *sys.argv[1:]]),
           "commit": commit(), "date": date.today().isoformat(),
           "device": "cpu", "environment": environment(torch.device("cpu")),
           "template": args.template,
           "images": f"ISBI 2015 train + test1, {n_images} distinct files; scored on the "
                     "test1 images among them",
           "review_order": f"bench-fewshot's labelled_order, seed {args.order_seed}",
           **results}
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
