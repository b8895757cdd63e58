import os
import pickle

import pytest
import torch

from engine.checkpoint import load_checkpoint, save_checkpoint
from engine.errors import CheckpointError


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned-marker",))


def test_round_trip(tmp_path):
    payload = {"w": torch.arange(4.0), "step": 7, "name": "x"}
    save_checkpoint(tmp_path / "c.pt", payload)
    back = load_checkpoint(tmp_path / "c.pt")
    assert back["step"] == 7 and torch.equal(back["w"], payload["w"])
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_malicious_pickle_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"x": _Evil()}, path, pickle_module=pickle)
    with pytest.raises(CheckpointError, match="refused for safety"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned-marker").exists()


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", None])
def test_corrupt_or_truncated(tmp_path, content):
    path = tmp_path / "c.pt"
    if content is None:
        save_checkpoint(path, {"w": torch.zeros(100)})
        content = path.read_bytes()[:50]
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a valid checkpoint"):
        load_checkpoint(path)


def test_missing(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")
