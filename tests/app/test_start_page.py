from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton

from cc2d_app.dialogs import file_dialogs
from cc2d_app.settings import AppSettings
from cc2d_app.views.start_page import StartPage


@pytest.fixture
def projects(tmp_path) -> list[Path]:
    folders = [tmp_path / name for name in ("ceph_2023", "isbi_train", "gone")]
    settings = AppSettings()
    for folder in folders:
        folder.mkdir()
        settings.add_recent_project(folder)
    folders[2].rmdir()  # vanished since: must not be listed
    return [f.resolve() for f in folders]


def _page(qtbot) -> StartPage:
    page = StartPage(AppSettings())
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitExposed(page)
    return page


def _click(qtbot, page: StartPage, name: str) -> None:
    qtbot.mouseClick(page.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def test_new_project_button(qtbot):
    page = _page(qtbot)
    with qtbot.waitSignal(page.newProjectRequested, timeout=1000):
        _click(qtbot, page, "newProjectButton")


def test_demo_button(qtbot):
    page = _page(qtbot)
    with qtbot.waitSignal(page.demoRequested, timeout=1000):
        _click(qtbot, page, "demoButton")


def test_open_project_button_asks_for_a_folder(qtbot, monkeypatch, tmp_path):
    asked = []

    def fake_choose(parent, title, start):
        asked.append(start)
        return str(tmp_path / "ceph_2023")

    monkeypatch.setattr(file_dialogs, "choose_directory", fake_choose)
    page = _page(qtbot)
    with qtbot.waitSignal(page.openProjectRequested, timeout=1000) as signal:
        _click(qtbot, page, "openProjectButton")
    assert signal.args == [str(tmp_path / "ceph_2023")]
    assert asked == [str(Path.home())]
    # The next dialog starts where this one ended.
    _click(qtbot, page, "openProjectButton")
    assert asked[1] == str(tmp_path)


def test_cancelled_open_emits_nothing(qtbot, monkeypatch):
    monkeypatch.setattr(file_dialogs, "choose_directory", lambda *args: None)
    page = _page(qtbot)
    with qtbot.assertNotEmitted(page.openProjectRequested):
        _click(qtbot, page, "openProjectButton")


def test_recent_projects_listed_without_vanished(qtbot, projects):
    page = _page(qtbot)
    recent = page.findChild(QListWidget, "recentList")
    assert recent.isVisible()
    listed = [recent.item(i).toolTip() for i in range(recent.count())]
    assert listed == [str(projects[1]), str(projects[0])]
    assert not page.findChild(QLabel, "noRecentLabel").isVisible()


def test_one_click_on_a_recent_project_opens_it_once(qtbot, projects):
    page = _page(qtbot)
    recent = page.findChild(QListWidget, "recentList")
    rect = recent.visualItemRect(recent.item(1))
    opened = []
    page.openProjectRequested.connect(opened.append)
    QTest.mouseClick(recent.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [str(projects[0])]
    # A user used to double-clicking: the second click and the double-click event on the
    # same spot (QTest.mouseDClick alone sends no press) do not open it again.
    QTest.mouseDClick(recent.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [str(projects[0])]


def test_enter_on_recent_opens_it(qtbot, projects):
    page = _page(qtbot)
    recent = page.findChild(QListWidget, "recentList")
    recent.setFocus()
    QTest.keyClick(recent, Qt.Key.Key_Down)
    with qtbot.waitSignal(page.openProjectRequested, timeout=1000) as signal:
        QTest.keyClick(recent, Qt.Key.Key_Return)
    assert signal.args == [str(projects[0])]


def test_empty_recent_shows_a_hint(qtbot):
    page = _page(qtbot)
    assert not page.findChild(QListWidget, "recentList").isVisible()
    assert page.findChild(QLabel, "noRecentLabel").isVisible()


def test_reshown_page_lists_a_newly_opened_project(qtbot, tmp_path):
    page = _page(qtbot)
    page.hide()
    AppSettings().add_recent_project(tmp_path)
    page.show()
    recent = page.findChild(QListWidget, "recentList")
    assert recent.count() == 1 and recent.item(0).toolTip() == str(tmp_path.resolve())
