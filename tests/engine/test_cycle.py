"""Cycle-consistent matching prefers the candidate whose features lead back to the
template's landmark over a look-alike that matches better forward."""

import torch
import torch.nn.functional as F

from engine.ssl.cycle import cycle_locate
from engine.ssl.matching import cascade_locate
from engine.ssl.similarity import cosine_maps, sample_vectors

SIZE, STRIDES = 32, (4, 2)
A, B, C, BACKGROUND = (torch.eye(4)[i] for i in range(4))


def _features(blocks: dict[tuple[int, int], torch.Tensor]) -> list[torch.Tensor]:
    """Per stride, (1, 4, h, w) maps of a 32² image: background, with a feature vector on
    each 4×4 block (col, row) given."""
    pixels = BACKGROUND[:, None, None].expand(4, SIZE, SIZE).clone()
    for (col, row), vector in blocks.items():
        pixels[:, row * 4:row * 4 + 4, col * 4:col * 4 + 4] = vector[:, None, None]
    return [F.avg_pool2d(pixels[None], s) for s in STRIDES]


def test_the_consistent_candidate_wins_over_a_better_forward_match():
    # The template: landmark at block (1, 1) looks like A; block (5, 5) looks like A + 0.3 B.
    template = _features({(1, 1): A, (5, 5): A + 0.3 * B})
    landmark = torch.tensor([[5.5, 5.5]])
    vectors = [sample_vectors(m, landmark[None], s)[0] for m, s in zip(template, STRIDES)]
    # The image: a look-alike of the template's (5, 5) at block (6, 1) matches A best
    # (cos 0.96) but leads back to (5, 5); block (1, 6) matches less (0.93) and leads home.
    image = _features({(6, 1): A + 0.3 * B, (1, 6): A + 0.4 * C})
    sims = [cosine_maps(v[None], m) for v, m in zip(vectors, image)]
    plain, _ = cascade_locate(sims, STRIDES, SIZE, window=3)
    assert torch.allclose(plain[0, 0], torch.tensor([25.5, 5.5]), atol=1.0)

    point, conf, back = cycle_locate(image, vectors, template, landmark, STRIDES, SIZE,
                                     window=3, candidates=3)
    assert torch.allclose(point[0, 0], torch.tensor([5.5, 25.5]), atol=1.0)
    assert back[0, 0] < 1.0 and 0.8 < conf[0, 0] < 1.0


def test_one_consistent_maximum_is_kept():
    template = _features({(1, 1): A})
    landmark = torch.tensor([[5.5, 5.5]])
    vectors = [sample_vectors(m, landmark[None], s)[0] for m, s in zip(template, STRIDES)]
    image = _features({(3, 4): A})
    sims = [cosine_maps(v[None], m) for v, m in zip(vectors, image)]
    plain, plain_conf = cascade_locate(sims, STRIDES, SIZE, window=3)
    point, conf, back = cycle_locate(image, vectors, template, landmark, STRIDES, SIZE,
                                     window=3, candidates=4)
    assert torch.allclose(point, plain) and torch.allclose(conf, plain_conf)
    assert back[0, 0] < 1.0


def test_predict_ssl_with_candidates_adds_the_cycle_distance(tmp_path):
    import numpy as np

    from engine.data.phantom import PhantomSpec, write_phantom_dataset
    from engine.data.template import Template
    from engine.data.working_set import build_working_set
    from engine.models.feature_net import FeatureNet
    from engine.ssl.predict import predict_ssl

    paths, truth = write_phantom_dataset(tmp_path, 3, PhantomSpec(n_landmarks=4), seed=3)
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    net = FeatureNet(16, 0.125, True).eval()
    data = build_working_set(paths, 64, cpu)
    template = Template.from_table(paths[0], truth)
    plain = predict_ssl(net, data, template, 5, cpu)
    cycled = predict_ssl(net, data, template, 5, cpu, candidates=3)
    assert "cycle_px" not in plain.values and set(cycled.points) == set(plain.points)
    diagonal = float(np.hypot(*data.sizes[0]))   # the distance is in the template's pixels
    for key in cycled.points:
        assert np.isfinite(cycled.points[key]).all()
        assert ((cycled.values["cycle_px"][key] >= 0)
                & (cycled.values["cycle_px"][key] <= diagonal)).all()


def test_medoid_fusion_keeps_the_match_the_others_agree_with(tmp_path):
    import numpy as np
    import pytest

    from engine.data.phantom import PhantomSpec, write_phantom_dataset
    from engine.data.template import Template
    from engine.data.working_set import build_working_set
    from engine.models.feature_net import FeatureNet
    from engine.ssl.predict import predict_ssl

    paths, truth = write_phantom_dataset(tmp_path, 4, PhantomSpec(n_landmarks=4), seed=4)
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    net = FeatureNet(16, 0.125, True).eval()
    data = build_working_set(paths, 64, cpu)
    first, second = (Template.from_table(p, truth) for p in paths[:2])
    alone = predict_ssl(net, data, first, 5, cpu)
    # Three alike: the medoid is their common match; of two, the template's own wins ties.
    for labelled in ([first, first, first], [first, second]):
        fused = predict_ssl(net, data, labelled, 5, cpu, fusion="medoid")
        for key, pts in alone.points.items():
            np.testing.assert_allclose(fused.points[key], pts, atol=1e-6)
            np.testing.assert_allclose(fused.values["confidence"][key],
                                       alone.values["confidence"][key], atol=1e-6)
    with pytest.raises(ValueError, match="fusion"):
        predict_ssl(net, data, first, 5, cpu, fusion="vote")


def test_an_ssl_run_resumes_under_other_pseudo_label_settings(tmp_path):
    import pytest

    from engine.config_io import freeze_run_config
    from engine.errors import CheckpointError
    from engine.ssl.config import profile_config

    freeze_run_config(tmp_path / "config.json", profile_config("tiny"))
    # The network does not depend on how pseudo-labels are matched or kept...
    freeze_run_config(tmp_path / "config.json",
                      profile_config("tiny", cycle_candidates=5, pseudo_keep=0.8))
    # ...but it does on everything else.
    with pytest.raises(CheckpointError, match="other settings"):
        freeze_run_config(tmp_path / "config.json", profile_config("tiny", window=7))
