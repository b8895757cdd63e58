"""The codes the SR uses: DCM and UCUM where they exist, this application's private
coding scheme for landmarks, measurements, classes and sources (their codes are the
project's own: a landmark's code, a measurement's id)."""

from __future__ import annotations

from typing import Any

SCHEME = "99CC2D"             # a private coding scheme (the 99 prefix, DICOM PS3.16 §8)
SCHEME_NAME = "CC2D landmark studio"
PROCEDURE = ("CEPHALOMETRY", "Cephalometric landmarks and analyses")
LANDMARK_SOURCE = ("SOURCE", "Landmark source")
CONFIDENCE = ("CONFIDENCE", "Prediction confidence")
# Measurement units (engine.analysis) → UCUM code and meaning.
UCUM = {"°": ("deg", "degree"), "mm": ("mm", "millimeter"), "%": ("%", "percent"),
        "": ("1", "no units"), "px": ("{pixel}", "pixel")}
MAX_CODE_VALUE = 16           # SH


def private(value: str, meaning: str) -> Any:
    """A coded concept of the private scheme (code values are SH: 16 characters)."""
    from highdicom.sr import CodedConcept
    return CodedConcept(value[:MAX_CODE_VALUE], SCHEME, meaning[:64] or value)


def unit(unit_text: str) -> Any:
    from highdicom.sr import CodedConcept
    code, meaning = UCUM[unit_text]
    return CodedConcept(code, "UCUM", meaning)
