"""Exceptions the engine raises for problems a user can act on.

Every message names the file or value at fault and what to do about it; the CLI
prints them without a traceback and the GUI shows them in a dialog.
"""

from __future__ import annotations


class CC2DError(Exception):
    """Base of all user-facing engine errors."""


class ImageReadError(CC2DError):
    """An image file is missing, unreadable, truncated, too large or not an image."""


class LandmarkFileError(CC2DError):
    """A landmark CSV/JSON is malformed or does not match the images or schema."""


class CheckpointError(CC2DError):
    """A checkpoint or run folder is missing, corrupt, foreign or incompatible."""


class TrainingError(CC2DError):
    """Training cannot go on (its loss stopped being a number)."""


class DeviceError(CC2DError):
    """The compute device asked for is absent, or it ran out of memory."""


class ProjectError(CC2DError):
    """A project cannot be opened, locked, migrated or written."""


class CancelledError(CC2DError):
    """Long work stopped because its cancel event was set."""
