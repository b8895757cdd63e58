"""A shown canvas of fixed size with a synthetic non-square image."""

import numpy as np
import pytest

from cc2d_app.canvas.view import ImageCanvas


def synthetic(height: int, width: int) -> np.ndarray:
    """A float image with a value range of 1000 and some structure."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    values = 500 + 400 * np.sin(xx / 9.0) * np.cos(yy / 13.0) + 100 * (xx / width)
    values[0, 0], values[-1, -1] = 0.0, 1000.0
    return values.astype(np.float32)


@pytest.fixture
def make_canvas(qtbot):
    def make(height: int = 200, width: int = 300) -> ImageCanvas:
        view = ImageCanvas()
        qtbot.addWidget(view)
        view.resize(600, 500)
        view.show()
        qtbot.waitExposed(view)
        view.set_image(synthetic(height, width))
        return view

    return make


@pytest.fixture(params=[(200, 300), (300, 200)], ids=["wide", "tall"])
def canvas(make_canvas, request) -> ImageCanvas:
    return make_canvas(*request.param)
