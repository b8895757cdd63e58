"""Image states for the list and the next landmark to place: plain functions."""

from __future__ import annotations

from cc2d_app.logic.annotation_flow import next_unplaced
from cc2d_app.logic.image_state import ImageState, image_state, review_queue, summarise
from engine.project import ImageRecord, Landmark, LandmarkSource, ReviewStatus


def record(image_id: int, status: ReviewStatus = ReviewStatus.UNREVIEWED) -> ImageRecord:
    from pathlib import Path

    return ImageRecord(image_id, Path(f"/x/{image_id}.png"), f"{image_id}.png", 10, 10, 1,
                       "0" * 64, None, None, status, "now")


def lm(source: LandmarkSource) -> Landmark:
    return Landmark(1.0, 2.0, source)


def test_states_in_order_of_precedence():
    t = LandmarkSource.TEMPLATE
    assert image_state(record(1), [lm(t), None], template_id=1) is ImageState.TEMPLATE
    assert image_state(record(2), [None, None], 1) is ImageState.UNLABELED
    assert image_state(record(2), [lm(LandmarkSource.CORRECTED), None], 1) is ImageState.LABELLED
    assert image_state(record(2), [lm(LandmarkSource.PREDICTED), lm(LandmarkSource.CORRECTED)],
                       1) is ImageState.NEEDS_REVIEW
    assert image_state(record(2, ReviewStatus.REVIEWED), [None], 1) is ImageState.REVIEWED
    needs = record(2, ReviewStatus.NEEDS_ATTENTION)
    assert image_state(needs, [lm(LandmarkSource.PREDICTED)], 1) is ImageState.NEEDS_REVIEW
    # The template stays the template whatever its review status.
    assert image_state(record(1, ReviewStatus.REVIEWED), [None], 1) is ImageState.TEMPLATE


def predicted(*confidences: float | None) -> list[Landmark | None]:
    return [Landmark(1.0, 2.0, LandmarkSource.PREDICTED, c) for c in confidences]


def test_summary_counts_doubtful_points_and_orders_the_queue():
    low = summarise(record(2), predicted(0.9, 0.2, None), 1)
    assert (low.state, low.doubtful, low.text()) == (ImageState.NEEDS_REVIEW, 2,
                                                     "2 doubtful points")
    sure = summarise(record(3), predicted(0.9, 0.8), 1)
    assert sure.text() == "needs review"
    done = summarise(record(4, ReviewStatus.REVIEWED), predicted(0.1), 1)
    assert done.doubtful == 0 and done.text() == "reviewed"
    # Images to review before the rest, least confident first; ties keep the order added.
    assert low.queue_key(5) < sure.queue_key(0) < done.queue_key(1)
    assert sure.queue_key(0) < sure.queue_key(1)
    images = [(record(1), predicted(0.1)), (record(2), predicted(0.7)),
              (record(3, ReviewStatus.REVIEWED), predicted(0.2)), (record(4), predicted(0.4)),
              (record(5), [None]), (record(6, ReviewStatus.NEEDS_ATTENTION), [None])]
    # The template (1), the reviewed (3) and the unlabelled (5) image are not in the queue;
    # one flagged with nothing predicted comes first.
    assert review_queue(images, template_id=1) == [6, 4, 2]


def test_next_unplaced_wraps_and_ends_with_none():
    t = lm(LandmarkSource.TEMPLATE)
    assert next_unplaced([None, None, None]) == 0
    assert next_unplaced([t, None, None], after=0) == 1
    assert next_unplaced([None, t, t], after=1) == 0  # wraps round
    assert next_unplaced([t, t, None], after=2) == 2  # cleared one is next again
    assert next_unplaced([t, t, t], after=0) is None
