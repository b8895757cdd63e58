import os

import pytest

# Headless Qt for every GUI test.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    # The app reads CC2D_SETTINGS_DIR (cc2d_app.settings) so no test touches the user's own
    # QSettings, recent projects or demo folder.
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("CC2D_SETTINGS_DIR", str(folder))
    yield folder


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    # Collect each test's Qt wrappers at its teardown, on the GUI thread with no worker
    # running: a full collection that started inside a later test, while a training thread
    # was saving a checkpoint, crashed the interpreter once (segfault in the collector).
    yield
    import gc

    gc.collect()


from tests.orthanc_server import orthanc  # noqa: E402, F401 (a fixture: a real PACS)
