"""What an analysis is made of: measurements, their classes, and a measured result.

Landmark numbers in analysis files are 1-based like the landmark files; everything here
holds 0-based indices into the ``(N, 2)`` point array.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import CC2DError

KINDS = ("angle", "line_angle", "distance", "ratio", "sum")
# What a measurement's value is; sums must add like to like.
QUANTITY_OF_KIND = {"angle": "angle", "line_angle": "angle", "distance": "length",
                    "ratio": "ratio"}

Segment = tuple[tuple[float, float], tuple[float, float]]


class AnalysisError(CC2DError):
    """An analysis file is malformed, or does not fit the landmarks it is given."""


@dataclass(frozen=True)
class ClassRange:
    """One class of a measurement: values in [min, max] (either end open when None).
    Classes are tried in file order and the first that holds the value wins, so a bound
    shared by two classes belongs to the earlier one."""

    name: str
    meaning: str
    min: float | None = None
    max: float | None = None
    normal: bool = False

    def holds(self, value: float) -> bool:
        return ((self.min is None or value >= self.min)
                and (self.max is None or value <= self.max))


@dataclass(frozen=True)
class Measurement:
    """One measurement over landmark indices (0-based).

    ``angle``: ``points`` = (a, vertex, b). ``line_angle``: ``lines`` = two directed
    lines, signed (by the analysis' frame) when ``signed``. ``distance``: ``points`` =
    (start, end), negative where end − start points against ``sign_along``.
    ``ratio``: |lines[0]| / |lines[1]|. ``sum``: ``terms`` = (id, ±1) of earlier ones.
    """

    id: str
    name: str
    kind: str
    quantity: str                       # angle | length | ratio
    points: tuple[int, ...] = ()
    lines: tuple[tuple[int, int], ...] = ()
    signed: bool = False
    sign_along: tuple[int, int] | None = None
    terms: tuple[tuple[str, float], ...] = ()
    classes: tuple[ClassRange, ...] = ()
    hidden: bool = False                # a part of a sum, not reported on its own
    description: str = ""
    note: str = ""

    def classify(self, value: float) -> ClassRange | None:
        return next((c for c in self.classes if c.holds(value)), None)

    @property
    def normal_range(self) -> tuple[float | None, float | None] | None:
        normal = next((c for c in self.classes if c.normal), None)
        return None if normal is None else (normal.min, normal.max)

    def bounds(self) -> tuple[float, ...]:
        """Every finite class bound, where the class may change."""
        return tuple(sorted({b for c in self.classes for b in (c.min, c.max) if b is not None}))


@dataclass(frozen=True)
class MeasurementResult:
    """A measurement on one image.

    ``unit``: "°", "mm", "px" (a length without a spacing: never classified) or "" (ratio).
    ``error_bound``: the value's spread (same unit) when each landmark it uses errs by its
    expected error, independently (first-order propagation); ``borderline`` is True when
    value ± error_bound reaches another class. ``uses``: 0-based landmark indices;
    ``lines``: segments in image pixels to draw. ``note`` says what limits the result.
    """

    id: str
    name: str
    value: float
    unit: str
    class_name: str | None
    class_meaning: str | None
    normal_range: tuple[float | None, float | None] | None
    borderline: bool
    uses: tuple[int, ...]
    lines: tuple[Segment, ...]
    error_bound: float
    note: str = ""
