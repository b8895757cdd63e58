"""What an analysis is made of: measurements over landmark codes, their norms and classes,
and a measured result.

Measurements name landmarks by code (``"S"``, ``"N"``, ``"A"``: a schema's abbreviations)
or by a point the analysis derives from them (a midpoint), so an analysis fits any
landmark schema that has the points it uses (:mod:`engine.analysis.bound`).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import CC2DError

KINDS = ("angle", "line_angle", "distance", "projection", "point_line", "ratio", "sum")
# What a measurement's value is; sums must add like to like.
QUANTITY_OF_KIND = {"angle": "angle", "line_angle": "angle", "distance": "length",
                    "projection": "length", "point_line": "length", "ratio": "ratio"}

Segment = tuple[tuple[float, float], tuple[float, float]]
Line = tuple[str, str]


class AnalysisError(CC2DError):
    """An analysis or norms file is malformed, or does not fit the landmarks it is given."""


@dataclass(frozen=True)
class ClassRange:
    """One class of a measurement: values in [min, max] (either end open when None).
    Classes are tried in order and the first that holds the value wins, so a bound shared
    by two classes belongs to the earlier one."""

    name: str
    meaning: str
    min: float | None = None
    max: float | None = None
    normal: bool = False

    def holds(self, value: float) -> bool:
        return ((self.min is None or value >= self.min)
                and (self.max is None or value <= self.max))


@dataclass(frozen=True)
class Norm:
    """A population's mean ± standard deviation of a measurement, and where it is from."""

    mean: float
    sd: float
    source: str = ""


def norm_classes(norm: Norm, above: str, below: str) -> tuple[ClassRange, ...]:
    """The classes a norm implies: within mean ± 1 SD, above it, below it."""
    lo, hi = norm.mean - norm.sd, norm.mean + norm.sd
    return (ClassRange("norm", "within the norm", lo, hi, normal=True),
            ClassRange("high", above or "above the norm", min=hi),
            ClassRange("low", below or "below the norm", max=lo))


@dataclass(frozen=True)
class Measurement:
    """One measurement over landmark codes.

    ``angle``: ``points`` = (a, vertex, b). ``line_angle``: ``lines`` = two directed lines,
    signed (by the analysis' frame) when ``signed``. ``distance``: ``points`` = (start,
    end), negative where end − start points against ``sign_along``. ``projection``:
    ``points`` = (start, end) projected on the direction of ``lines[0]``. ``point_line``:
    the signed distance of ``points[0]`` from ``lines[0]`` (positive in front of a line
    drawn downwards, above one drawn forwards). ``ratio``: |lines[0]| / |lines[1]|
    (× 100 when ``percent``). ``sum``: ``terms`` = (id, ±1) of earlier ones.
    ``above`` / ``below``: what a value above / below the norm means, for the classes a
    norm implies when the file gives none (``classes_from_norm``).
    """

    id: str
    name: str
    kind: str
    quantity: str                       # angle | length | ratio
    points: tuple[str, ...] = ()
    lines: tuple[Line, ...] = ()
    signed: bool = False
    sign_along: Line | None = None
    terms: tuple[tuple[str, float], ...] = ()
    percent: bool = False
    classes: tuple[ClassRange, ...] = ()
    norm: Norm | None = None
    above: str = ""
    below: str = ""
    classes_from_norm: bool = False
    hidden: bool = False                # a part of a sum, not reported on its own
    description: str = ""
    note: str = ""

    def classify(self, value: float) -> ClassRange | None:
        return next((c for c in self.classes if c.holds(value)), None)

    @property
    def normal_range(self) -> tuple[float | None, float | None] | None:
        normal = next((c for c in self.classes if c.normal), None)
        return None if normal is None else (normal.min, normal.max)

    @property
    def refs(self) -> tuple[str, ...]:
        """The landmark codes (or derived points) this measurement itself names."""
        return tuple(dict.fromkeys(
            self.points + tuple(c for line in self.lines for c in line)))


@dataclass(frozen=True)
class MeasurementResult:
    """A measurement on one image.

    ``unit``: "°", "mm", "px" (a length without a spacing: never classified), "%" or ""
    (ratio). ``interval``: where the value lies with 90 % probability, and
    ``p_other_class`` the probability that its class differs, when each landmark it uses
    errs by its expected error (sampled); ``borderline`` is True when that probability is
    material (:data:`engine.analysis.uncertainty.FLAG_PROBABILITY`). ``deviation_sd``:
    (value − norm mean) / norm SD. ``uses``: 0-based landmark indices; ``lines``:
    segments in image pixels to draw. ``note`` says what limits the result.
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
    interval: tuple[float, float]
    p_other_class: float
    norm: Norm | None = None
    deviation_sd: float | None = None
    description: str = ""
    note: str = ""
