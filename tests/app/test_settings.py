from pathlib import Path

from cc2d_app.settings import MAX_RECENT, AppSettings


def _folders(tmp_path: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        folder = tmp_path / f"project{i}"
        folder.mkdir()
        out.append(folder)
    return out


def test_file_lives_in_the_isolated_settings_dir(_isolated_settings):
    settings = AppSettings()
    settings.set_last_folder("images", _isolated_settings)
    assert settings.file_path == _isolated_settings / "cc2d-studio.ini"
    assert settings.file_path.is_file()
    assert AppSettings.demo_dir() == _isolated_settings / "demo"


def test_recent_projects_most_recent_first_and_deduplicated(tmp_path):
    a, b, c = _folders(tmp_path, 3)
    settings = AppSettings()
    settings.add_recent_project(a, "Alpha")
    settings.add_recent_project(b)
    settings.add_recent_project(c)
    # The same folder spelled differently is one entry, moved to the front.
    settings.add_recent_project(tmp_path / "x" / ".." / "project0", "Alpha again")

    recent = AppSettings().recent_projects()  # a fresh instance reads the file
    assert [r.path for r in recent] == [a.resolve(), c.resolve(), b.resolve()]
    assert recent[0].name == "Alpha again"
    assert recent[1].name == "project2"


def test_recent_projects_keep_at_most_ten(tmp_path):
    folders = _folders(tmp_path, MAX_RECENT + 3)
    settings = AppSettings()
    for folder in folders:
        settings.add_recent_project(folder)
    recent = settings.recent_projects()
    assert len(recent) == MAX_RECENT == 10
    assert recent[0].path == folders[-1].resolve()
    assert recent[-1].path == folders[3].resolve()


def test_vanished_projects_are_dropped_on_read(tmp_path):
    a, b = _folders(tmp_path, 2)
    settings = AppSettings()
    settings.add_recent_project(a)
    settings.add_recent_project(b)
    b.rmdir()
    assert [r.path for r in AppSettings().recent_projects()] == [a.resolve()]


def test_remove_recent_project(tmp_path):
    a, b = _folders(tmp_path, 2)
    settings = AppSettings()
    settings.add_recent_project(a)
    settings.add_recent_project(b)
    settings.remove_recent_project(b)
    assert [r.path for r in settings.recent_projects()] == [a.resolve()]


def test_broken_recent_entry_does_not_stop_the_app(_isolated_settings):
    (_isolated_settings / "cc2d-studio.ini").write_text("[recent]\nprojects=not json {\n")
    assert AppSettings().recent_projects() == []


def test_window_layout_round_trip():
    settings = AppSettings()
    assert settings.window_geometry() is None and settings.window_state() is None
    settings.save_window(b"\x01\x02geometry\x00", b"state\xff")
    again = AppSettings()
    assert again.window_geometry() == b"\x01\x02geometry\x00"
    assert again.window_state() == b"state\xff"


def test_last_folder_falls_back_to_home_when_missing(tmp_path):
    settings = AppSettings()
    assert settings.last_folder("images") == str(Path.home())
    settings.set_last_folder("images", tmp_path)
    assert AppSettings().last_folder("images") == str(tmp_path)
    assert AppSettings().last_folder("project") == str(Path.home())
    settings.set_last_folder("images", tmp_path / "gone")
    assert AppSettings().last_folder("images") == str(Path.home())


def test_each_test_gets_its_own_settings(tmp_path):
    # Nothing written by the tests above leaks into this one.
    assert AppSettings().recent_projects() == []
