from PySide6.QtWidgets import QLabel, QMainWindow


def test_placeholder_window_names_the_commands(qtbot, monkeypatch):
    from cc2d_app import main as app_main

    shown = []
    monkeypatch.setattr(QMainWindow, "show", lambda self: shown.append(self))
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.exec", lambda self: 0)
    assert app_main.main() == 0
    window = shown[0]
    qtbot.addWidget(window)
    assert window.windowTitle() == "CC2D landmark studio"
    text = window.centralWidget().text() if isinstance(window.centralWidget(), QLabel) else ""
    assert "cc2d ssl train" in text
