"""The CUDA precision policy (bf16 autocast + channels_last) exercised on the CPU.

CI has no GPU, yet shape and stride mistakes of the CUDA path (a ``view`` of a
channels_last tensor, a bf16 tensor meeting a float32 one) would only show on
one. Here every engine module that uses the policy gets the CUDA one on the CPU,
and the whole pipeline runs through it.
"""

import contextlib
import sys

import numpy as np
import pytest
import torch

import engine.device
from engine.data.landmarks import read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.pipeline import PipelineSettings, run_pipeline


@contextlib.contextmanager
def _cpu_bf16(device):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        yield


@pytest.fixture
def cuda_policy_on_cpu(monkeypatch):
    patched = 0
    autocast, memory_format = engine.device.autocast, engine.device.memory_format
    for name, module in list(sys.modules.items()):
        if not name.startswith("engine."):
            continue
        if getattr(module, "autocast", None) is autocast:
            monkeypatch.setattr(module, "autocast", _cpu_bf16)
            patched += 1
        if getattr(module, "memory_format", None) is memory_format:
            monkeypatch.setattr(module, "memory_format", lambda device: torch.channels_last)
            patched += 1
    assert patched >= 8  # ssl, tpl and refine training and prediction, the training loop


def test_pipeline_runs_under_bf16_and_channels_last(cuda_policy_on_cpu, tmp_path):
    paths, truth = write_phantom_dataset(tmp_path / "img", 6, PhantomSpec(n_landmarks=4),
                                         seed=2)
    settings = PipelineSettings("tiny", {"steps": 3}, {"steps": 3}, {"steps": 3})
    record = run_pipeline(paths, Template.from_table(paths[0], truth), tmp_path / "run",
                          settings, torch.device("cpu"))
    assert record["stages"]["refine_train"]["steps"] == 3
    pred = read_landmark_csv(tmp_path / "run" / "predictions.csv")
    assert len(pred.points) == 6
    assert all(np.isfinite(p).all() for p in pred.points.values())
