"""Which image to annotate: once images are added to a project without a template, the
folder's most representative image (:mod:`engine.suggest`) becomes the template.

The ranking reads every image, so it runs as a background task; its result is applied
through the session (one undoable edit) only if the user has still chosen nothing, and a
label in the status bar says so and how to pick another image instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from cc2d_app.controllers.task_status import TaskStatus
from cc2d_app.session import ProjectSession
from engine.errors import CC2DError
from engine.suggest import TemplateRanking, rank_templates

# With two images neither is more typical than the other; the first click decides.
MIN_IMAGES = 3
RUNNERS_UP = 4  # named in the label's tooltip


class TemplateSuggestion(QObject):
    """Suggests a template for one open project; ``suggested`` carries the image id set."""

    suggested = Signal(int)

    def __init__(self, session: ProjectSession, tasks: TaskStatus, bar: QStatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._tasks = tasks
        self._bar = bar
        self._running = False
        self._template: int | None = None  # the image this object made the template
        self.label = QLabel()
        self.label.setObjectName("templateSuggestion")
        self.label.setVisible(False)
        bar.addPermanentWidget(self.label)
        session.templateChanged.connect(self._template_changed)

    def close(self) -> None:
        """Drop the label (the project has closed, and its ranking task with it)."""
        self._bar.removeWidget(self.label)
        self.label.deleteLater()
        self.deleteLater()

    def wanted(self) -> bool:
        """Whether the user has chosen nothing yet: no template and no landmark anywhere
        (imported landmarks mean someone already worked on these images)."""
        session = self._session
        if session.template_id() is not None:
            return False
        images = session.images()
        return len(images) >= MIN_IMAGES and len(session.unlabelled_images()) == len(images)

    def offer(self) -> None:
        """After images were added (GUI thread): rank them in the background if wanted."""
        if self._running or not self.wanted():
            return
        ids = {rec.path: rec.id for rec in self._session.images()}
        self._running = True
        self._session.track(self._tasks.run(_ranking_task(list(ids)), "Choosing a template…",
                                            lambda ranking: self._apply(ranking, ids),
                                            "Could not suggest a template"))

    def _apply(self, ranking: TemplateRanking | None, ids: dict[Path, int]) -> None:
        self._running = False
        # The user may have clicked a landmark or chosen a template meanwhile.
        if ranking is None or not self.wanted():
            return
        image_id = ids[ranking.best]
        if not self._session.has_image(image_id) or not self._session.set_template(image_id):
            return
        self._template = image_id
        name = self._session.image(image_id).name
        self.label.setText(
            f"Suggested template: {name} (most representative of {len(ranking.ranked)} "
            "images) — Set as template (Ctrl+T) on another image to change")
        others = ", ".join(r.path.name for r in ranking.ranked[1:1 + RUNNERS_UP])
        self.label.setToolTip(f"Next most representative: {others}" if others else "")
        self.label.setVisible(True)
        self.suggested.emit(image_id)

    def _template_changed(self) -> None:
        # Another image chosen, or the suggestion undone: the label no longer holds.
        if self._session.template_id() != self._template:
            self._template = None
            self.label.setVisible(False)


def _ranking_task(paths: list[Path]) -> Callable[[Callable[[int, int], None], threading.Event],
                                                 TemplateRanking | None]:
    """A task function for :class:`TaskStatus`; None when cancelled or nothing to rank."""
    def run(progress: Callable[[int, int], None],
            cancel: threading.Event) -> TemplateRanking | None:
        try:
            # One reading thread: the other core keeps the GUI and the thumbnails going.
            return rank_templates(paths, progress=lambda p: progress(p.step, p.total),
                                  cancel=cancel, workers=1)
        except CC2DError:  # cancelled, or too few readable images (adding them said which)
            return None
    return run
