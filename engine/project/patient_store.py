"""Patient and exam fields of a :class:`~engine.project.store.Project`'s images (see
:mod:`engine.project.patient` for what they are and where they come from).

Setting them is one edit like any other (logged, one undo step); reading never writes, so a
read-only project shows a DICOM's header fields as a writable one does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.project import db as dbm
from engine.project import rows
from engine.project.model import EditEntry
from engine.project.patient import PatientFields, checked, header_fields

if TYPE_CHECKING:
    from engine.project.store import Project


class PatientMixin:
    """Patient-field methods of :class:`~engine.project.store.Project`."""

    _db: dbm.Database

    def patient(self: Project, image_id: int) -> PatientFields:
        """The image's fields: those stored, else those of its DICOM header (empty for
        other images)."""
        stored = self.stored_patient(image_id)
        return stored if stored is not None else header_fields(self.image(image_id).path)

    def stored_patient(self: Project, image_id: int) -> PatientFields | None:
        """The fields entered for the image; ``None`` when none were (the header's apply)."""
        self.image(image_id)
        found = self._db.query("SELECT * FROM patient_fields WHERE image_id = ?", (image_id,))
        return rows.patient(self._db.path, found[0]) if found else None

    def set_patient(self: Project, image_id: int, fields: PatientFields | None) -> EditEntry:
        """Store the image's fields (``None``: forget them, so a DICOM shows its header's
        again); one undo step. A field that cannot be stored is a ProjectError naming it."""
        rec = self.image(image_id)
        after = checked(fields).to_dict() if fields is not None else None

        def build(conn: Any) -> dict[str, Any]:
            # The before-value is read inside the write transaction so that it is exact.
            row = conn.execute("SELECT * FROM patient_fields WHERE image_id = ?",
                               (image_id,)).fetchone()
            before = rows.patient(self._db.path, row).to_dict() if row is not None else None
            return {"image": image_id, "before": before, "after": after}

        # The summary is shown in the undo menu: it names the image, not the patient.
        verb = "set" if after is not None else "clear"
        return self._edit("patient", f"{verb} the patient and exam fields of {rec.name}", build)
