"""What the image list shows for an image: one state from its record and landmarks, how
many of its points are doubtful, and where it stands in the review queue (no Qt)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from cc2d_app.logic.review import is_low, least_confidence
from engine.project import ImageRecord, Landmark, LandmarkSource, ReviewStatus


class ImageState(str, Enum):
    TEMPLATE = "template"
    UNLABELED = "unlabeled"
    LABELLED = "labelled by hand"
    NEEDS_REVIEW = "needs review"
    REVIEWED = "reviewed"


# Icon name (qtawesome) and colour per state, shared by the list and the legend.
STATE_ICONS: dict[ImageState, tuple[str, str]] = {
    ImageState.TEMPLATE: ("mdi6.star", "#f5a623"),
    ImageState.UNLABELED: ("mdi6.circle-outline", "#8a8f98"),
    ImageState.LABELLED: ("mdi6.pencil-circle", "#b48ee0"),
    ImageState.NEEDS_REVIEW: ("mdi6.robot-outline", "#4a90e2"),
    ImageState.REVIEWED: ("mdi6.check-circle", "#3fae5a"),
}


def image_state(
    record: ImageRecord, landmarks: Sequence[Landmark | None], template_id: int | None
) -> ImageState:
    """The template first, then the review status, then who placed the points: an image
    still holding a prediction nobody has reviewed needs review."""
    if record.id == template_id:
        return ImageState.TEMPLATE
    if record.status == ReviewStatus.REVIEWED:
        return ImageState.REVIEWED
    if record.status == ReviewStatus.NEEDS_ATTENTION:   # flagged through `cc2d project`
        return ImageState.NEEDS_REVIEW
    placed = [lm for lm in landmarks if lm is not None]
    if not placed:
        return ImageState.UNLABELED
    if any(lm.source == LandmarkSource.PREDICTED for lm in placed):
        return ImageState.NEEDS_REVIEW
    return ImageState.LABELLED


@dataclass(frozen=True)
class ImageSummary:
    """One list row: the state, the doubtful points, the review-queue key."""

    state: ImageState
    doubtful: int
    least_confidence: float | None

    def text(self) -> str:
        # Short enough for the list's width: the robot badge already says "predicted".
        if self.state is ImageState.NEEDS_REVIEW and self.doubtful:
            return f"{self.doubtful} doubtful point{'s' if self.doubtful != 1 else ''}"
        return self.state.value

    def queue_key(self, order: int) -> tuple[int, float, int]:
        """Images to review first, the least confident on top (as Enter takes them), then
        the others in the order they were added."""
        if self.state is ImageState.NEEDS_REVIEW:
            least = -1.0 if self.least_confidence is None else self.least_confidence
            return (0, least, order)
        return (1, 0.0, order)


def summarise(
    record: ImageRecord, landmarks: Sequence[Landmark | None], template_id: int | None
) -> ImageSummary:
    state = image_state(record, landmarks, template_id)
    doubtful = sum(is_low(lm) for lm in landmarks) if state is ImageState.NEEDS_REVIEW else 0
    return ImageSummary(state, doubtful, least_confidence(landmarks))


def review_queue(
    images: Iterable[tuple[ImageRecord, Sequence[Landmark | None]]],
    template_id: int | None,
) -> list[int]:
    """Images still to review, the least confident first (ties: the order added): the top
    of the image list in review order, and where Enter goes next."""
    keyed = []
    for order, (record, landmarks) in enumerate(images):
        summary = summarise(record, landmarks, template_id)
        if summary.state is ImageState.NEEDS_REVIEW:
            keyed.append((summary.queue_key(order), record.id))
    return [image_id for _key, image_id in sorted(keyed)]
