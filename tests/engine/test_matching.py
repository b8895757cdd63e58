import torch

from engine.ssl.matching import argmax_2d, cascade_locate, refine_subpixel


def _blob(size, x, y, sigma=1.5, amp=1.0):
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    return amp * torch.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))


def test_argmax_2d_returns_x_then_y():
    m = torch.zeros(1, 2, 4, 6)
    m[0, 0, 1, 5] = 1
    m[0, 1, 3, 0] = 1
    assert argmax_2d(m).tolist() == [[[5, 1], [0, 3]]]


def test_refine_subpixel_finds_centre_between_pixels():
    m = _blob(16, 7.4, 9.0)[None, None]
    peak = argmax_2d(m)
    out = refine_subpixel(m, peak, radius=3)
    torch.testing.assert_close(out[0, 0], torch.tensor([7.4, 9.0]), atol=0.05, rtol=0)


def test_cascade_ignores_a_far_fine_peak_outside_the_coarse_window():
    size, strides, window = 64, (32, 16, 8, 4, 2), 3
    true = (40.0, 20.0)
    sims = []
    for st in strides:
        n = size // st
        m = _blob(n, (true[0] + 0.5) / st - 0.5, (true[1] + 0.5) / st - 0.5, sigma=0.8)
        if st == 2:
            # A stronger but far-away peak at the finest scale must not win.
            m = torch.maximum(m, _blob(n, 3.0, 28.0, sigma=0.5, amp=1.0))
        sims.append(m[None, None])
    point, conf = cascade_locate(sims, strides, size, window)
    assert torch.dist(point[0, 0], torch.tensor(true)) < 2.0
    assert 0.0 < float(conf[0, 0]) <= 1.0


def test_cascade_confidence_is_low_for_negative_similarity():
    size, strides = 64, (32, 16, 8, 4, 2)
    sims = [torch.full((1, 1, size // s, size // s), -0.5) for s in strides]
    _, conf = cascade_locate(sims, strides, size, 3)
    assert float(conf) == 0.0


def test_extra_patch_targets_map_to_the_same_image_content():
    from engine.ssl.patches import sample_patch_batch

    gen = torch.Generator().manual_seed(3)
    # A smooth image, so sampling a resampled patch equals sampling the image.
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    smooth = 127 + 60 * torch.sin(xs / 6) + 60 * torch.cos(ys / 9 + xs / 17)
    pixels = smooth.round().to(torch.uint8).expand(4, 1, 64, 64).contiguous()
    b = sample_patch_batch(pixels, 6, 32, 30.0, 0.0, gen, targets_per_patch=5)
    assert b.target_image.shape == (6, 5, 2) and b.valid.shape == (6, 5)
    # With no colour jitter a patch pixel equals the image at the mapped point.
    from engine.ssl.similarity import sample_vectors

    pv = sample_vectors(b.patches, b.target_patch, 1)[..., 0]
    iv = sample_vectors(b.images, b.target_image, 1)[..., 0]
    torch.testing.assert_close(pv[b.valid], iv[b.valid], atol=0.02, rtol=0)
