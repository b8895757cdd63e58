"""What the image list shows for an image: one state from its record and landmarks (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from engine.project import ImageRecord, Landmark, LandmarkSource, ReviewStatus


class ImageState(str, Enum):
    TEMPLATE = "template"
    UNLABELED = "unlabeled"
    LABELLED = "labelled by hand"
    PREDICTED = "predicted"
    NEEDS_REVIEW = "needs review"
    REVIEWED = "reviewed"


# Icon name (qtawesome) and colour per state, shared by the list and the legend.
STATE_ICONS: dict[ImageState, tuple[str, str]] = {
    ImageState.TEMPLATE: ("mdi6.star", "#f5a623"),
    ImageState.UNLABELED: ("mdi6.circle-outline", "#8a8f98"),
    ImageState.LABELLED: ("mdi6.pencil-circle", "#b48ee0"),
    ImageState.PREDICTED: ("mdi6.robot-outline", "#4a90e2"),
    ImageState.NEEDS_REVIEW: ("mdi6.alert-circle", "#e5533d"),
    ImageState.REVIEWED: ("mdi6.check-circle", "#3fae5a"),
}


def image_state(
    record: ImageRecord, landmarks: Sequence[Landmark | None], template_id: int | None
) -> ImageState:
    """The template first, then the review status, then who placed the points."""
    if record.id == template_id:
        return ImageState.TEMPLATE
    if record.status == ReviewStatus.REVIEWED:
        return ImageState.REVIEWED
    if record.status == ReviewStatus.NEEDS_ATTENTION:
        return ImageState.NEEDS_REVIEW
    placed = [lm for lm in landmarks if lm is not None]
    if not placed:
        return ImageState.UNLABELED
    if any(lm.source == LandmarkSource.PREDICTED for lm in placed):
        return ImageState.PREDICTED
    return ImageState.LABELLED
