"""Background work for the GUI: long tasks in a QThread, image decoding in a small pool.

Nothing slow runs on the GUI thread. A task is a plain function ``fn(progress, cancel)``
(the engine's callback and cancel-event style); its results come back as signals, which
Qt delivers on the GUI thread because the receivers live there.
"""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, QThreadPool, Signal
from PySide6.QtGui import QImage

TaskFunction = Callable[[Callable[[int, int], None], threading.Event], Any]


class Task(QThread):
    """Runs one task function; ``cancel()`` sets its cancel event.

    Its signals reach the GUI thread through one gate, :meth:`drop`: a task of a project
    that has closed delivers nothing more, not even what it queued before (Qt delivers a
    queued signal even after a disconnect). ``ended`` is the last signal it sends.
    """

    progressed = Signal(int, int)      # done, total
    succeeded = Signal(object)         # the function's result
    failed = Signal(object, str)       # exception, formatted traceback
    ended = Signal()                   # the thread has ended (after every other signal)
    _outcome = Signal(object, object)  # worker thread → GUI thread: a signal and its args

    def __init__(self, fn: TaskFunction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self.cancel_event = threading.Event()
        self._dropped = False
        self._outcome.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.finished.connect(self._thread_ended, Qt.ConnectionType.QueuedConnection)

    def send(self, signal: Any, *args: Any) -> None:
        """Emit ``signal`` on the GUI thread, unless the task is dropped by then."""
        self._outcome.emit(signal, args)

    def _deliver(self, signal: Any, args: tuple[Any, ...]) -> None:
        if not self._dropped:
            signal.emit(*args)

    def _thread_ended(self) -> None:
        # Qt emits ``finished`` just before the thread stops: wait the instant it takes, so
        # whoever lets go of the task on ``ended`` never destroys a running thread.
        self.wait()
        self._deliver(self.ended, ())

    def drop(self) -> None:
        """Deliver nothing more (its project has closed)."""
        self._dropped = True

    def run(self) -> None:
        try:
            result = self._fn(lambda done, total: self.send(self.progressed, done, total),
                              self.cancel_event)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the user
            self.send(self.failed, exc, traceback.format_exc())
        else:
            self.send(self.succeeded, result)

    def cancel(self) -> None:
        self.cancel_event.set()


class TaskGroup:
    """The tasks working on one thing (an open project), stopped together."""

    def __init__(self) -> None:
        self._tasks: set[Task] = set()

    def track(self, task: Task) -> Task:
        self._tasks.add(task)
        task.ended.connect(lambda: self._tasks.discard(task))
        return task

    def stop(self, *, drop: bool = False) -> None:
        """Cancel every task and wait for it; ``drop``: and deliver nothing more from any."""
        for task in list(self._tasks):
            task.cancel()
            task.wait()
            if drop:
                task.drop()
        if drop:
            self._tasks.clear()


def grey_qimage(pixels: np.ndarray) -> QImage:
    """A QImage that owns a copy of a C-contiguous uint8 (h, w) array."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape
    return QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class _Relay(QObject):
    # Lives on the GUI thread; pool threads emit through it (queued delivery).
    thumbnail = Signal(int, object)          # image id, QImage
    thumbnail_failed = Signal(int, str)
    display = Signal(str, object)            # path, DisplayImage
    display_failed = Signal(str, str)


class ImageLoader(QObject):
    """Thumbnails for the image list and full images for the canvas, decoded off the GUI thread.

    Full images are kept in a small LRU (``cache_size``) so that going back and forth
    between neighbours is instant while memory stays bounded on folders of hundreds.
    """

    thumbnailReady = Signal(int, QImage)
    thumbnailFailed = Signal(int, str)
    displayReady = Signal(str, object)   # path, engine.data.display.DisplayImage
    displayFailed = Signal(str, str)     # path, readable reason

    def __init__(self, parent: QObject | None = None, *, cache_size: int = 3,
                 thumb_side: int = 128) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        # One decoder thread: the other core stays free for the GUI and the add-images task.
        self._pool.setMaxThreadCount(1)
        self._full_pool = QThreadPool(self)
        self._full_pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.thumbnail.connect(self._thumb_done)
        self._relay.thumbnail_failed.connect(self.thumbnailFailed)
        self._relay.display.connect(self._display_done)
        self._relay.display_failed.connect(self._display_error)
        self._thumbs: dict[int, QImage] = {}
        self._thumb_pending: set[int] = set()
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._full_pending: set[str] = set()
        self._thumb_side = thumb_side

    def thumbnail(self, image_id: int) -> QImage | None:
        return self._thumbs.get(image_id)

    def request_thumbnail(self, image_id: int, path: Path) -> None:
        if image_id in self._thumbs or image_id in self._thumb_pending:
            return
        self._thumb_pending.add(image_id)
        relay, side = self._relay, self._thumb_side

        def work() -> None:
            from engine.data.display import load_thumbnail
            from engine.errors import CC2DError

            try:
                relay.thumbnail.emit(image_id, grey_qimage(load_thumbnail(path, side)))
            except (CC2DError, OSError, MemoryError) as exc:
                relay.thumbnail_failed.emit(image_id, str(exc))

        self._pool.start(work)

    def cached(self, path: Path) -> Any | None:
        key = str(path)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        return None

    def request_display(self, path: Path) -> None:
        """Decode ``path`` in the background; ``displayReady`` fires (also when cached)."""
        key = str(path)
        hit = self.cached(path)
        if hit is not None:
            self.displayReady.emit(key, hit)
            return
        if key in self._full_pending:
            return
        self._full_pending.add(key)
        relay = self._relay

        def work() -> None:
            from engine.data.display import load_display
            from engine.errors import CC2DError

            try:
                relay.display.emit(key, load_display(path))
            except (CC2DError, OSError) as exc:
                relay.display_failed.emit(key, str(exc))
            except MemoryError:
                relay.display_failed.emit(key, f"not enough memory to show {path}")

        self._full_pool.start(work)

    def wait(self, ms: int = 30000) -> None:
        """Block until queued decodes finish (app shutdown and tests)."""
        self._pool.waitForDone(ms)
        self._full_pool.waitForDone(ms)

    def _thumb_done(self, image_id: int, image: QImage) -> None:
        self._thumb_pending.discard(image_id)
        self._thumbs[image_id] = image
        self.thumbnailReady.emit(image_id, image)

    def _display_done(self, key: str, image: Any) -> None:
        self._full_pending.discard(key)
        self._cache[key] = image
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        self.displayReady.emit(key, image)

    def _display_error(self, key: str, message: str) -> None:
        self._full_pending.discard(key)
        self.displayFailed.emit(key, message)
