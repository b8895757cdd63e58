"""Comparing two radiographs of one patient, as the compare dialog shows it: no Qt.

The registration and the measurement changes are the engine's
(:mod:`engine.analysis.superimpose`); here the landmarks to register on are chosen and
the values become text.
"""

from __future__ import annotations

from cc2d_app.logic.measurements import number_text
from engine.analysis.superimpose import MeasurementChange
from engine.project import LandmarkSchema

# The classical superimposition: at sella, oriented on sella–nasion (code or name).
DEFAULT_PAIR = (("S", "Sella"), ("N", "Nasion"))


def default_pair(schema: LandmarkSchema) -> tuple[int, int]:
    """S and N when the schema has them (by code or name), else its first two landmarks."""
    found = [next((i for i in map(schema.index_of, names) if i is not None), None)
             for names in DEFAULT_PAIR]
    at, towards = found
    if at is None or towards is None or at == towards:
        return 0, 1
    return at, towards


def change_texts(c: MeasurementChange) -> tuple[str, str, str]:
    """The first value, the second and the change (signed), e.g. "82.0°", "80.5°", "-1.5°"."""
    return (number_text(c.first, c.unit), number_text(c.second, c.second_unit),
            number_text(c.change, c.unit, signed=True))
