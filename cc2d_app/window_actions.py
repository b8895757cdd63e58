"""The main window's actions: each command once, in the menus, the toolbar and its
shortcut, enabled by what is open (a mixin of :class:`cc2d_app.main_window.MainWindow`,
whose slots the actions trigger)."""

from __future__ import annotations

from typing import Any

import qtawesome as qta
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence


class WindowActions:
    """Building and enabling the window's actions."""

    def _action(self, icon: str | None, text: str, slot: Any,
                shortcut: QKeySequence.StandardKey | QKeySequence | str | list | None = None
                ) -> QAction:
        action = QAction(qta.icon(icon) if icon else QIcon(), text, self)
        if shortcut is not None:
            # A standard key has one binding per platform convention (Close: Ctrl+F4 and
            # Ctrl+W); setShortcut would keep only the first.
            if isinstance(shortcut, (list, QKeySequence.StandardKey)):
                action.setShortcuts(shortcut)
            else:
                action.setShortcut(shortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_new = a("mdi6.folder-plus", "&New project…", lambda: self.new_project(),
                         QKeySequence.New)
        self.act_pacs = a("mdi6.server-network", "New project from &PACS…",
                          self.new_project_from_pacs)
        self.act_open = a("mdi6.folder-open", "&Open project…", self.open_project_dialog,
                          QKeySequence.Open)
        self.act_demo = a("mdi6.flask-outline", "Open &demo", self.open_demo)
        self.act_add = a("mdi6.image-plus", "&Add images…", self.add_images_dialog)
        self.act_export = a("mdi6.export", "&Export…", self._export, "Ctrl+E")
        self.act_close = a(None, "&Close project", self.close_project, QKeySequence.Close)
        # Ctrl+Q spelled out: QKeySequence.Quit is empty on Windows.
        self.act_quit = a(None, "&Quit", self._quit, "Ctrl+Q")
        self.act_undo = a("mdi6.undo", "&Undo", self._undo, QKeySequence.Undo)
        self.act_redo = a("mdi6.redo", "&Redo", self._redo,
                          [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_prev = a("mdi6.arrow-left", "&Previous image", lambda: self._step(-1),
                          [QKeySequence(Qt.Key.Key_PageUp), QKeySequence("Ctrl+Left")])
        self.act_next = a("mdi6.arrow-right", "&Next image", lambda: self._step(1),
                          [QKeySequence(Qt.Key.Key_PageDown), QKeySequence("Ctrl+Right")])
        self.act_template = a("mdi6.star", "Set as &template", self._set_template, "Ctrl+T")
        self.act_reviewed = a("mdi6.check-circle", "&Reviewed — next image", self._reviewed,
                              [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        # Window shortcuts, so F and 1 work wherever the focus is (a list of the View tab
        # would otherwise take F for its keyboard search); text fields still get the keys.
        self.act_fit = a("mdi6.fit-to-screen", "&Fit image", lambda: self._canvas("fit"), "F")
        self.act_1to1 = a("mdi6.numeric-1-box", "Actual pixels",
                          lambda: self._canvas("zoom_1to1"), "1")
        self.act_calibrate = a("mdi6.ruler", "&Calibrate pixel size…", self._calibrate)
        self.act_patient = a("mdi6.account-details", "P&atient and exam…", self._patient)
        self.act_report = a("mdi6.file-pdf-box", "&Report (PDF)…",
                            lambda: self.workspace and self.workspace.write_report(), "Ctrl+P")
        self.act_measurements_csv = a(
            "mdi6.table-arrow-right", "Export &measurements (CSV)…",
            lambda: self.workspace and self.workspace.export_measurements_csv())
        self.act_train = a("mdi6.school", "&Train…", self._train)
        self.act_predict = a("mdi6.auto-fix", "&Predict new images", self._predict_new)
        self.act_improve = a("mdi6.school-outline", "&Improve with my corrections",
                             self._improve)
        menu = self.menuBar()
        for title, actions in (
            ("&Project", [self.act_new, self.act_pacs, self.act_open, self.act_demo, None,
                          self.act_add,
                          self.act_export, self.act_measurements_csv, None, self.act_close,
                          None, self.act_quit]),
            ("&Edit", [self.act_undo, self.act_redo]),
            ("&Image", [self.act_prev, self.act_next, None, self.act_template,
                        self.act_reviewed, self.act_calibrate, self.act_patient, None,
                        self.act_report]),
            ("&View", [self.act_fit, self.act_1to1]),
            ("&Train", [self.act_train, self.act_predict, self.act_improve]),
        ):
            m = menu.addMenu(title)
            m.setToolTipsVisible(True)  # a disabled action's tooltip says why
            for act in actions:
                m.addSeparator() if act is None else m.addAction(act)
        bar = self.addToolBar("Main")
        bar.setObjectName("main-toolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for act in (self.act_open, self.act_add, None, self.act_undo, self.act_redo, None,
                    self.act_prev, self.act_next, self.act_template, None, self.act_fit,
                    self.act_1to1, self.act_calibrate, None, self.act_export):
            bar.addSeparator() if act is None else bar.addAction(act)
        self.toolbar = bar
        # Whether Improve can run reads the reviewed images: once per burst of edits.
        self._improve_timer = QTimer(self, singleShot=True, interval=0)
        self._improve_timer.timeout.connect(self._update_improve)

    def _update_actions(self) -> None:
        has = self.session is not None
        for act in (self.act_add, self.act_export, self.act_close, self.act_prev, self.act_next,
                    self.act_template, self.act_reviewed, self.act_fit, self.act_1to1,
                    self.act_calibrate, self.act_patient, self.act_report,
                    self.act_measurements_csv,
                    self.act_train, self.act_predict):
            act.setEnabled(has)
        if not has:
            self._update_improve()
        self._improve_timer.start()
        undo, redo = self.session.undo_redo_state() if has else ("", "")
        self._undo_redo(undo, redo)
        if has:
            self.act_train.setEnabled(not self.session.missing_template_landmarks())
        self.toolbar.setVisible(has)

    def _update_improve(self) -> None:
        ok, why = (self.workspace.training.improve_availability() if self.workspace is not None
                   else (False, "Open a project first."))
        self.act_improve.setEnabled(ok)
        self.act_improve.setToolTip(why)
        self.act_improve.setStatusTip(why)

    def _undo_redo(self, undo: str, redo: str) -> None:
        self.act_undo.setEnabled(bool(undo))
        self.act_redo.setEnabled(bool(redo))
        # The menu names the step; the toolbar keeps its short label (iconText).
        self.act_undo.setText(f"&Undo {undo}" if undo else "&Undo")
        self.act_redo.setText(f"&Redo {redo}" if redo else "&Redo")
        self.act_undo.setIconText("Undo")
        self.act_redo.setIconText("Redo")
        self.act_undo.setToolTip(f"Undo: {undo}" if undo else "Nothing to undo")
        self.act_redo.setToolTip(f"Redo: {redo}" if redo else "Nothing to redo")

