import numpy as np
import pytest

from engine.data.grid import from_grid, to_grid


@pytest.mark.parametrize("w,h,size", [(968, 1200, 384), (1935, 2400, 384), (37, 501, 64)])
def test_round_trip_is_identity(w, h, size):
    rng = np.random.default_rng(0)
    pts = rng.uniform([-0.5, -0.5], [w - 0.5, h - 0.5], (100, 2))
    back = from_grid(to_grid(pts, w, h, size), w, h, size)
    np.testing.assert_allclose(back, pts, atol=1e-9)


def test_pixel_centres_and_edges_map_per_axis():
    # The outer pixel edges (-0.5 and W-0.5) map onto the grid's outer edges, per axis.
    g = to_grid(np.array([[-0.5, -0.5], [99.5, 199.5]]), 100, 200, 50)
    np.testing.assert_allclose(g, [[-0.5, -0.5], [49.5, 49.5]])
    # Centre of a 2×2 block of originals is the centre of one grid pixel when halving.
    np.testing.assert_allclose(to_grid(np.array([[0.5, 1.5]]), 100, 200, 50), [[0.0, 0.0]])
