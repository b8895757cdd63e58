"""The one-shot protocol on the ISBI 2015 cephalograms, beside the paper's Table 1.

Template (default 125) from the training split, the whole pipeline trained on
the training split (its labels unused, but for the template's), figures on
test1 in millimetres. Layout expected: ``DATA/landmarks.csv`` with a ``split``
column (``train``/``test1``) and images under ``DATA/images``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from engine.bench.provenance import provenance
from engine.data.image_keys import image_keys
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.data.template import Template
from engine.data.working_set import build_working_set
from engine.device import peak_memory_mb, reset_peak_memory
from engine.errors import CC2DError
from engine.instant.run import predict_with_run
from engine.labelled import template_key
from engine.metrics import Evaluation, evaluate
from engine.models.efficientnet_lite import WEIGHTS_SOURCE
from engine.pipeline import FROM_INSTANT, PROFILE_INSTANT, PipelineSettings, run_pipeline
from engine.progress import ProgressCallback
from engine.run_folder import RunFolder
from engine.run_predict import predict_coarse, refine
from engine.ssl.predict import predict_ssl
from engine.ssl.train import load_reference_net

# CC2D paper, Table 1 (Test1 + Test2, 250 images), as quoted in the data README.
PAPER = {
    "paper CC2D-SSL": {"mre": 4.67, "std": None,
                       "sdr": {"2": 40.42, "2.5": 47.68, "3": 55.54, "4": 68.38}},
    "paper CC2D": {"mre": 2.72, "std": None,
                   "sdr": {"2": 49.81, "2.5": 58.73, "3": 68.18, "4": 81.01}},
}


def split_images(data_dir: Path, truth: LandmarkTable) -> dict[str, list[Path]]:
    """Image paths per split from the labels' ``split`` column."""
    if "split" not in truth.text:
        raise CC2DError(f"{data_dir / 'landmarks.csv'} has no 'split' column (train/test1)")
    out: dict[str, list[Path]] = {}
    for image, splits in truth.text["split"].items():
        path = data_dir / "images" / image
        if not path.is_file():
            raise CC2DError(f"{path} is listed in landmarks.csv but missing")
        out.setdefault(splits[0], []).append(path)
    for key in ("train", "test1"):
        if key not in out:
            raise CC2DError(f"no '{key}' images in {data_dir / 'landmarks.csv'}")
    return {k: sorted(v) for k, v in out.items()}


def template_named(name: str, path: Path) -> bool:
    """``name`` is the file name, its stem, or the same number ("1" for 001.jpg)."""
    if name in (path.name, path.stem):
        return True
    return name.isdigit() and path.stem.isdigit() and int(name) == int(path.stem)


def _row(ev: Evaluation) -> dict[str, Any]:
    return {"mre": ev.mre, "std": ev.std, "sdr": ev.sdr, "n_images": ev.n_images}


def _template(data_dir: Path, template_name: str, truth: LandmarkTable,
              train: list[Path]) -> Template:
    matches = [p for p in train if template_named(template_name, p)]
    if not matches:
        raise CC2DError(f"template '{template_name}' is not a training image of {data_dir}")
    return Template.from_table(matches[0], truth)


def bench_instant(data_dir: Path, template_name: str, settings: PipelineSettings, work: Path,
                  device: Any, spacing_mm: float, progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None) -> dict[str, Any]:
    """The instant profile on the training and test1 images together, as ``cc2d run``
    does it: one wall time for both, scored on test1 and on the other training images."""
    truth = read_landmark_csv(data_dir / "landmarks.csv")
    splits = split_images(data_dir, truth)
    template = _template(data_dir, template_name, truth, splits["train"])
    folder = RunFolder(work / f"template-{template.image.stem}")
    images = splits["train"] + splits["test1"]
    t0 = time.perf_counter()
    record = run_pipeline(images, template, folder.root, settings, device, progress=progress,
                          cancel=cancel)
    wall = time.perf_counter() - t0
    table = read_landmark_csv(folder.predictions)
    keys = dict(zip(images, image_keys(images)))
    test = _rows(table, [keys[p] for p in splits["test1"]])
    train = _rows(table, [keys[p] for p in splits["train"] if p != template.image])
    return {"template": template.image.name, "ours instant": _row(evaluate(test, truth,
                                                                           spacing_mm)),
            "train instant": _row(evaluate(train, truth, spacing_mm)),
            "stages": record["stages"], "pipeline_wall_s": wall,
            "n_images": len(images), "instant_config": record["instant_config"],
            "backbone_weights": WEIGHTS_SOURCE,
            "_predictions": {"instant": test}}


def _rows(table: LandmarkTable, keys: list[str]) -> LandmarkTable:
    return LandmarkTable(table.names, {k: table.points[k] for k in keys if k in table.points})


def bench_template(data_dir: Path, template_name: str, settings: PipelineSettings,
                   work: Path, device: Any, spacing_mm: float,
                   progress: ProgressCallback | None = None,
                   cancel: threading.Event | None = None) -> dict[str, Any]:
    """Run the pipeline with one template; evaluate SSL and TPL on test1 and the train set."""
    if settings.profile == PROFILE_INSTANT:
        return bench_instant(data_dir, template_name, settings, work, device, spacing_mm,
                             progress, cancel)
    if settings.profile in FROM_INSTANT:
        return bench_from_instant(data_dir, template_name, settings, work, device,
                                  spacing_mm, progress, cancel)
    truth = read_landmark_csv(data_dir / "landmarks.csv")
    splits = split_images(data_dir, truth)
    template = _template(data_dir, template_name, truth, splits["train"])
    folder = RunFolder(work / f"template-{template.image.stem}")
    t0 = time.perf_counter()
    record = run_pipeline(splits["train"], template, folder.root, settings, device,
                          progress=progress, cancel=cancel)
    pipeline_s = time.perf_counter() - t0
    ssl_cfg, tpl_cfg, _ = settings.configs()

    test = splits["test1"]
    reset_peak_memory(device)
    t0 = time.perf_counter()
    data = build_working_set(test, ssl_cfg.image_size, device)
    ref, _ = load_reference_net(folder.ssl, device)
    ssl_pred = predict_ssl(ref, data, template, ssl_cfg.window, device)
    ssl_s = time.perf_counter() - t0
    del ref
    t0 = time.perf_counter()
    if tpl_cfg.image_size != ssl_cfg.image_size:
        data = build_working_set(test, tpl_cfg.image_size, device)
    tpl_pred = predict_coarse(folder.root, data, device)
    tpl_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    final_pred = refine(folder.root, test, tpl_pred, device)
    refine_s = time.perf_counter() - t0
    refined = "refine_train" in record["stages"]

    pseudo = read_landmark_csv(folder.pseudo_labels)
    train_tpl = read_landmark_csv(folder.tpl_predictions)
    train_final = read_landmark_csv(folder.predictions)
    t_key = template_key(splits["train"], image_keys(splits["train"]), template.image)
    for table in (pseudo, train_tpl, train_final):
        del table.points[t_key]
    return {
        "template": t_key,
        "ours SSL": _row(evaluate(ssl_pred, truth, spacing_mm)),
        "ours TPL": _row(evaluate(tpl_pred, truth, spacing_mm)),
        **({"ours TPL+refine": _row(evaluate(final_pred, truth, spacing_mm))} if refined else {}),
        "train pseudo-labels (SSL)": _row(evaluate(pseudo, truth, spacing_mm)),
        "train TPL": _row(evaluate(train_tpl, truth, spacing_mm)),
        **({"train TPL+refine": _row(evaluate(train_final, truth, spacing_mm))}
           if refined else {}),
        "stages": record["stages"],
        "pipeline_wall_s": pipeline_s,
        "test1_ssl_predict_s": ssl_s, "test1_tpl_predict_s": tpl_s,
        "test1_refine_s": refine_s,
        "predict_peak_memory_mb": peak_memory_mb(device),
        "backbone_weights": record["stages"]["ssl_train"]["backbone_weights"],
        "_predictions": {"ssl": ssl_pred, "cc2d": final_pred,
                         **({"cc2d-coarse": tpl_pred} if refined else {})},
    }


def bench_from_instant(data_dir: Path, template_name: str, settings: PipelineSettings,
                       work: Path, device: Any, spacing_mm: float,
                       progress: ProgressCallback | None = None,
                       cancel: threading.Event | None = None) -> dict[str, Any]:
    """A profile whose detector learns from the instant stage's pseudo-labels, trained on
    the training split; the instant matches and the detector scored on test1."""
    truth = read_landmark_csv(data_dir / "landmarks.csv")
    splits = split_images(data_dir, truth)
    template = _template(data_dir, template_name, truth, splits["train"])
    folder = RunFolder(work / f"template-{template.image.stem}")
    t0 = time.perf_counter()
    record = run_pipeline(splits["train"], template, folder.root, settings, device,
                          progress=progress, cancel=cancel)
    pipeline_s = time.perf_counter() - t0
    tpl_cfg = settings.configs()[1]
    test = splits["test1"]
    t0 = time.perf_counter()
    instant = predict_with_run(folder.root, test, device)
    instant_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = build_working_set(test, tpl_cfg.image_size, device)
    load_s = time.perf_counter() - t0
    reset_peak_memory(device)
    t0 = time.perf_counter()
    coarse = predict_coarse(folder.root, data, device)
    tpl_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    final = refine(folder.root, test, coarse, device)
    refine_s = time.perf_counter() - t0
    refined = "refine_train" in record["stages"]
    pseudo = read_landmark_csv(folder.pseudo_labels)
    train_tpl = read_landmark_csv(folder.tpl_predictions)
    t_key = template_key(splits["train"], image_keys(splits["train"]), template.image)
    for table in (pseudo, train_tpl):
        del table.points[t_key]
    return {
        "template": t_key,
        "ours instant": _row(evaluate(instant, truth, spacing_mm)),
        "ours TPL": _row(evaluate(coarse, truth, spacing_mm)),
        **({"ours TPL+refine": _row(evaluate(final, truth, spacing_mm))} if refined else {}),
        "train pseudo-labels (instant)": _row(evaluate(pseudo, truth, spacing_mm)),
        "train TPL": _row(evaluate(train_tpl, truth, spacing_mm)),
        "stages": record["stages"], "pipeline_wall_s": pipeline_s,
        "test1_instant_s": instant_s, "test1_load_s": load_s, "test1_tpl_predict_s": tpl_s,
        "test1_refine_s": refine_s,
        # The detector alone, per image, once the image is on its grid (what a GPU-less
        # clinic waits for after decoding).
        "tpl_predict_s_per_image": tpl_s / len(test),
        "predict_peak_memory_mb": peak_memory_mb(device),
        "backbone_weights": record["stages"]["tpl_train"]["backbone_weights"],
        "_predictions": {"instant": instant, settings.profile: final},
    }


def format_table(results: dict[str, Any]) -> str:
    """Table 1 layout: method, MRE ± std, SDR 2/2.5/3/4 mm, wall time per stage."""
    head = f"{'method':<34} {'MRE ± std (mm)':>15} {'2mm':>7} {'2.5mm':>7} {'3mm':>7} {'4mm':>7}"
    lines = [head, "-" * len(head)]

    def line(name: str, r: dict[str, Any], extra: str = "") -> None:
        std = "" if r["std"] is None else f" ± {r['std']:.2f}"
        sdr = " ".join(f"{r['sdr'][t]:>6.2f}%" for t in ("2", "2.5", "3", "4"))
        lines.append(f"{name:<34.34} {r['mre']:>8.2f}{std:<7} {sdr}{extra}")

    for name, r in PAPER.items():
        line(name, r)
    for t in results["templates"]:
        for key in ("ours instant", "ours SSL", "ours TPL", "ours TPL+refine",
                    "train instant", "train pseudo-labels (SSL)",
                    "train pseudo-labels (instant)", "train TPL", "train TPL+refine"):
            if key in t:
                line(f"{key} [{t['template']}]", t[key])
        st = t["stages"]
        if "features" in st:
            lines.append(f"  time: features {st['features']['seconds']:.1f} s, matching "
                         f"{st['predict']['seconds']:.1f} s for {t['n_images']} images; "
                         f"wall {t['pipeline_wall_s']:.1f} s")
            continue
        if "ssl_train" not in st:
            lines.append(
                f"  time: pseudo-labels (instant) {st['pseudo_labels']['seconds']:.0f} s, "
                f"TPL {st['tpl_train']['seconds']:.0f} s "
                f"({st['tpl_train']['samples_per_s']:.1f} samples/s), predict test1 "
                f"{t['test1_tpl_predict_s'] + t['test1_refine_s']:.1f} s "
                f"({t['tpl_predict_s_per_image']:.3f} s per image on its grid); pipeline "
                f"wall {t['pipeline_wall_s']:.0f} s")
            continue
        lines.append(
            f"  time: SSL {st['ssl_train']['seconds']:.0f} s, pseudo-labels "
            f"{st['pseudo_labels']['seconds']:.0f} s, TPL {st['tpl_train']['seconds']:.0f} s, "
            f"refine {st.get('refine_train', {}).get('seconds', 0):.0f} s, "
            f"predict test1 {t['test1_tpl_predict_s'] + t['test1_refine_s']:.1f} s; pipeline wall "
            f"{t['pipeline_wall_s']:.0f} s; SSL {st['ssl_train']['samples_per_s']:.0f} samples/s")
    lines.append(f"device: {results['device']}; weights: {results['backbone_weights']}; "
                 f"spacing {results['spacing_mm']} mm/px")
    return "\n".join(lines)


def run_benchmark(data_dir: Path, templates: list[str], settings: PipelineSettings, work: Path,
                  device: Any, spacing_mm: float, save_predictions: Path | None = None,
                  progress: ProgressCallback | None = None,
                  command: str | None = None) -> dict[str, Any]:
    """Benchmark every template. The first one's test1 predictions go to ``save_predictions``
    as ``<stage>_<device>_<date>.csv`` (stages ``ssl``, ``cc2d``, ``cc2d-coarse``,
    ``instant``, ``clinic``...), prefixed ``<profile>-`` when the stage is not the profile
    itself, so that the clinic run's instant stage does not overwrite the instant run's."""
    origin = provenance(device, command)   # the commit the code was loaded from
    per = [bench_template(data_dir, t, settings, work, device, spacing_mm, progress)
           for t in templates]
    results: dict[str, Any] = {
        **origin, "profile": settings.profile, "spacing_mm": spacing_mm,
        "backbone_weights": per[0]["backbone_weights"], "paper": PAPER,
        "templates": per,
    }
    if len(per) > 1:
        import numpy as np

        for key in ("ours instant", "ours SSL", "ours TPL", "ours TPL+refine"):
            if key not in per[0]:
                continue
            mres = np.array([t[key]["mre"] for t in per])
            results[f"spread {key}"] = {"mean_mre": float(mres.mean()),
                                        "std_mre": float(mres.std()),
                                        "min": float(mres.min()), "max": float(mres.max())}
    if save_predictions is not None:
        table: LandmarkTable
        for name, table in per[0]["_predictions"].items():
            dev = results["device"].replace(" ", "-")
            stem = name if name == settings.profile else f"{settings.profile}-{name}"
            out = save_predictions / f"{stem}_{dev}_{results['date']}.csv"
            write_landmark_csv(out, LandmarkTable(table.names, table.points), with_names=False)
            results[f"{name}_predictions_csv"] = str(out)
    for t in per:
        t.pop("_predictions")
    return results
