"""The Qt binding keeps Python's reference counts right (PySide6 6.12.0 on Python 3.11 did
not: every Qt call returning nothing lost a reference to None, and every emit one to True,
so the app aborted with 'none_dealloc' after a few hundred image changes)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    said = Signal(str)


def test_qt_calls_and_emits_keep_none_and_true_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    emitter.said.connect(label.setText)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        label.setText("x")
        emitter.said.emit("y")
    # Other code may take or drop a few references meanwhile; a leak loses thousands.
    assert sys.getrefcount(None) - none_before > -100
    assert sys.getrefcount(True) - true_before > -100
