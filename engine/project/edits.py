"""Landmark and review-status edits of a :class:`~engine.project.store.Project`.

Every call is one edit (one undo step): all values are validated before anything is
written, and the before-values are read inside the write transaction so they are exact.
Landmark indices are 0-based (files use 1-based).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.errors import ProjectError
from engine.project import db as dbm
from engine.project import editlog, rows
from engine.project.model import EditEntry, Landmark, LandmarkSource, ReviewStatus, parse_enum

if TYPE_CHECKING:
    from engine.project.store import Project

Point = tuple[float, float]


class EditsMixin:
    """Landmark and status methods of :class:`~engine.project.store.Project`."""

    _db: dbm.Database

    def landmarks(self: Project, image_id: int) -> list[Landmark | None]:
        """One entry per schema landmark, ``None`` where not placed."""
        return self._points("landmarks", image_id)

    def _points(self: Project, table: str, image_id: int) -> list[Landmark | None]:
        # ``table``: "landmarks" or "predictions" (same columns, less the source).
        self.image(image_id)
        out: list[Landmark | None] = [None] * len(self.schema)
        source = ", source" if table == "landmarks" else ""
        for r in self._db.query(
                f"SELECT idx, x, y{source}, confidence FROM {table} WHERE image_id = ?",
                (image_id,)):
            index, point = rows.landmark(self._db.path, r, table, image_id, len(self.schema))
            out[index] = point
        return out

    def set_landmark(
        self: Project,
        image_id: int,
        landmark_index: int,
        x: float,
        y: float,
        source: LandmarkSource | str,
        confidence: float | None = None,
    ) -> EditEntry:
        """Place one landmark (pixels of the original image)."""
        return self.apply_edits({image_id: {landmark_index: Landmark(x, y, source, confidence)}})

    def set_landmarks(
        self: Project,
        image_id: int,
        points: Sequence[Point | None],
        source: LandmarkSource | str,
        confidences: Sequence[float | None] | None = None,
    ) -> EditEntry:
        """Replace all landmarks of an image at once (``None``: not placed); one undo step."""
        if len(points) != len(self.schema):
            raise ProjectError(
                f"got {len(points)} points for a schema of {len(self.schema)} landmarks"
            )
        conf = list(confidences) if confidences is not None else [None] * len(points)
        edits = {
            i: (Landmark(p[0], p[1], source, conf[i]) if p is not None else None)
            for i, p in enumerate(points)
        }
        return self.apply_edits({image_id: edits})

    def clear_landmark(self: Project, image_id: int, landmark_index: int) -> EditEntry:
        """Remove one landmark from an image."""
        return self.apply_edits({image_id: {landmark_index: None}})

    def set_status(self: Project, image_id: int, status: ReviewStatus | str) -> EditEntry:
        """Set the review status of an image."""
        return self.apply_edits({}, statuses={image_id: status})

    def apply_edits(
        self: Project,
        landmarks: Mapping[int, Mapping[int, Landmark | None]],
        *,
        statuses: Mapping[int, ReviewStatus | str] | None = None,
        predictions: Mapping[int, Mapping[int, Landmark | None]] | None = None,
        summary: str | None = None,
        template: int | None = None,
    ) -> EditEntry:
        """Set landmarks (``{image_id: {index: Landmark or None}}``), statuses, the kept
        model predictions (same shape) and, with ``template``, the template image, as one
        edit.

        All values are validated before anything is written; one undo reverts the lot.
        """
        changes = self._point_changes(landmarks)
        predicted = self._point_changes(predictions or {})
        new_status = {i: parse_enum(ReviewStatus, s).value for i, s in (statuses or {}).items()}
        for image_id in new_status:
            self.image(image_id)
        if template is not None:
            self.image(template)
        if summary is None:
            summary = editlog.describe(changes, new_status, self.schema)

        def build(conn: Any) -> dict[str, Any]:
            # Before values are read inside the write transaction so they are exact.
            lms = [
                {"image": i, "index": k, "before": editlog.read_point(conn, i, k), "after": p}
                for i, k, p in changes
            ]
            sts = [
                {"image": i, "before": conn.execute(
                    "SELECT status FROM images WHERE id = ?", (i,)).fetchone()[0], "after": s}
                for i, s in new_status.items()
            ]
            preds = [
                {"image": i, "index": k, "before": editlog.read_prediction(conn, i, k),
                 "after": p}
                for i, k, p in predicted
            ]
            out = {"landmarks": lms, "status": sts, "predictions": preds}
            if template is not None:
                row = conn.execute(
                    "SELECT template_image_id FROM project WHERE id = 1").fetchone()
                out["template"] = {"before": row[0], "after": template}
            return out

        return self._edit("edit", summary, build)

    def status_counts(self) -> dict[ReviewStatus, int]:
        """Number of images per review status."""
        counts = {s: 0 for s in ReviewStatus}
        for r in self._db.query("SELECT status, COUNT(*) AS n FROM images GROUP BY status"):
            counts[rows.status(self._db.path, r)] = r[1]
        return counts

    def _point_changes(self: Project, points: Mapping[int, Mapping[int, Landmark | None]]
                       ) -> list[tuple[int, int, dict[str, Any] | None]]:
        changes = []
        for image_id, by_index in points.items():
            self.image(image_id)
            for index, lm in by_index.items():
                changes.append((image_id, self._check_index(index), editlog.point_dict(lm)))
        return changes

    def _check_index(self: Project, index: int) -> int:
        try:
            index = operator.index(index)  # numpy integers too, but not floats
        except TypeError:
            raise ProjectError(f"landmark index {index!r} is not an integer") from None
        if not 0 <= index < len(self.schema):
            raise ProjectError(
                f"landmark index {index!r} is out of range: the schema has {len(self.schema)} "
                f"landmarks (indices 0..{len(self.schema) - 1})"
            )
        return index
