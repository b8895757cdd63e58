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
