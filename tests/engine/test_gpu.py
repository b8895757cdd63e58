"""CUDA paths (bf16 autocast, channels_last, device-side augmentation); skipped without CUDA."""

import pytest
import torch

from engine.bench.ssl_step import bench_ssl
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.pipeline import PipelineSettings, run_pipeline
from engine.ssl.config import profile_config

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
CUDA = torch.device("cuda") if torch.cuda.is_available() else None


def test_pipeline_runs_on_cuda(tmp_path):
    paths, truth = write_phantom_dataset(tmp_path / "img", 8, PhantomSpec(n_landmarks=5), seed=1)
    settings = PipelineSettings("tiny", {"steps": 20}, {"steps": 20}, {"steps": 20})
    record = run_pipeline(paths, Template.from_table(paths[0], truth), tmp_path / "run",
                          settings, CUDA)
    assert record["stages"]["ssl_train"]["peak_memory_mb"] > 0
    assert (tmp_path / "run" / "predictions.csv").exists()
    assert record["stages"]["refine_train"]["steps"] == 20


def test_training_never_waits_for_data():
    """The full SSL step (patch sampling on the GPU included) keeps ≥ 90 % of the speed of
    the model step alone on ready tensors."""
    result = bench_ssl(profile_config("full"), CUDA, steps=15)
    assert result["ratio"] >= 0.9, result
