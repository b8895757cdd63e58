import math

import torch

from engine.ssl.similarity import (
    cell_index,
    cosine_maps,
    sample_vectors,
    ssl_loss,
    window_cross_entropy,
)


def test_cosine_maps_hand_computed():
    maps = torch.zeros(1, 2, 1, 3)
    maps[0, :, 0, 0] = torch.tensor([1.0, 0.0])
    maps[0, :, 0, 1] = torch.tensor([0.0, 2.0])
    maps[0, :, 0, 2] = torch.tensor([1.0, 1.0])
    q = torch.tensor([[[3.0, 0.0]]])
    out = cosine_maps(q, maps)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([1.0, 0.0, 1 / math.sqrt(2)]))


def test_window_cross_entropy_hand_computed():
    logits = torch.zeros(1, 5, 5)
    logits[0, 2, 3] = 2.0
    # Whole map: 25 cells, target has logit 2, others 0.
    full = window_cross_entropy(logits, torch.tensor([3]), torch.tensor([2]), None)
    assert math.isclose(float(full), -(2 - math.log(math.exp(2) + 24)), rel_tol=1e-5)
    # 3×3 window around the target: 9 cells.
    win = window_cross_entropy(logits, torch.tensor([3]), torch.tensor([2]), 3)
    assert math.isclose(float(win), -(2 - math.log(math.exp(2) + 8)), rel_tol=1e-5)
    # At the corner the window shifts inside the map and still holds the target.
    logits2 = torch.zeros(1, 5, 5)
    corner = window_cross_entropy(logits2, torch.tensor([0]), torch.tensor([0]), 3)
    assert math.isclose(float(corner), math.log(9), rel_tol=1e-5)


def test_sample_vectors_and_cell_index_agree_on_cell_centres():
    maps = torch.arange(16.0).view(1, 1, 4, 4)
    # Input pixel 11.5 at stride 8 is the centre of cell 1 → value of cell (row 1, col 1).
    pts = torch.tensor([[[11.5, 11.5], [3.5, 27.5]]])
    v = sample_vectors(maps, pts, 8)
    torch.testing.assert_close(v[0, :, 0], torch.tensor([5.0, 12.0]))
    col, row = cell_index(pts[0], 8, 4, 4)
    assert col.tolist() == [1, 0] and row.tolist() == [1, 3]


def test_ssl_loss_shapes_and_minimum_when_features_match():
    torch.manual_seed(0)
    strides = (32, 16, 8, 4, 2)
    b, c, s, p = 2, 4, 64, 32
    image_maps = [torch.randn(b, c, s // st, s // st, requires_grad=True) for st in strides]
    patch_maps = [torch.randn(b, c, p // st, p // st) for st in strides]
    ti = torch.tensor([[[10.0, 40.0]], [[50.0, 5.0]]])
    tp = torch.tensor([[[3.0, 20.0]], [[30.0, 1.0]]])
    loss, parts = ssl_loss(image_maps, patch_maps, ti, tp, strides, 0.1, 5)
    assert loss.shape == () and len(parts) == 5
    loss.backward()
    assert all(m.grad is not None and m.grad.abs().sum() > 0 for m in image_maps)
    # Loss per scale is bounded below by 0 and falls when the image map copies the query.
    better = [m.detach().clone() for m in image_maps]
    for k, st in enumerate(strides):
        q = sample_vectors(patch_maps[k], tp, st)[:, 0]
        col, row = cell_index(ti[:, 0], st, *better[k].shape[-2:])
        for i in range(b):
            better[k][i] = -q[i][:, None, None]
            better[k][i, :, row[i], col[i]] = q[i]
    loss2, _ = ssl_loss(better, patch_maps, ti, tp, strides, 0.1, 5)
    assert float(loss2) < 0.01 < float(loss.detach())


def test_invalid_targets_are_left_out_of_the_loss():
    torch.manual_seed(1)
    strides = (32, 16, 8, 4, 2)
    image_maps = [torch.randn(1, 4, 64 // s, 64 // s) for s in strides]
    patch_maps = [torch.randn(1, 4, 32 // s, 32 // s) for s in strides]
    ti = torch.tensor([[[10.0, 40.0], [20.0, 20.0]]])
    tp = torch.tensor([[[3.0, 20.0], [9.0, 9.0]]])
    only_first, _ = ssl_loss(image_maps, patch_maps, ti[:, :1], tp[:, :1], strides, 0.1, 5)
    masked, _ = ssl_loss(image_maps, patch_maps, ti, tp, strides, 0.1, 5,
                         valid=torch.tensor([[True, False]]))
    torch.testing.assert_close(masked, only_first)
