"""The app's colours that carry meaning: one palette for landmarks, one for the measurements
of a report, one warning colour."""

from __future__ import annotations

from engine.project import LandmarkSchema

# Distinct colours (Sasha Trubetskoy's 20), as in the shipped ISBI schema; cycled past 20.
LANDMARK_PALETTE = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
    "#f032e6", "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8",
    "#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075", "#a9a9a9",
)
# A report's measurements, each its own lines' colour, cycled past 10: bright enough over
# the dark outline they are drawn on, on bone and soft tissue alike (the Okabe-Ito hues,
# which colour-blind readers tell apart, lightened where they were dark).
MEASUREMENT_PALETTE = (
    "#3fd6c6", "#e69f00", "#56b4e9", "#f0e442", "#cc79a7",
    "#00c08b", "#ff7a3d", "#b39ddb", "#a6d854", "#ff5c8a",
)
WARNING = "#e5a33d"   # doubtful points, borderline values, missing files (dark theme)


def palette_colour(index: int) -> str:
    return LANDMARK_PALETTE[index % len(LANDMARK_PALETTE)]


def landmark_colors(schema: LandmarkSchema) -> list[str]:
    """The schema's colours, the palette's where it gives none."""
    return [lm.color or palette_colour(i) for i, lm in enumerate(schema.landmarks)]


def measurement_colour(index: int) -> str:
    return MEASUREMENT_PALETTE[index % len(MEASUREMENT_PALETTE)]
