"""An analysis as defined: measurements over landmark codes, points derived from them,
and which codes each measurement needs. Binding it to a schema's codes
(:meth:`Analysis.bind`) gives what can be measured on that schema's landmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from engine.analysis.model import Measurement, Norm, norm_classes

if TYPE_CHECKING:
    from engine.analysis.bound import BoundAnalysis


@dataclass(frozen=True)
class Analysis:
    """Measurements over landmark codes.

    ``derived``: points the analysis makes from landmarks, by name (a midpoint of two
    codes). ``frame``: three codes (S, N, Me-like) that orient signed values so that a
    face looking left measures like one looking right. ``schema``: the landmark schema it
    was written for (the one it is offered by default to), if any. ``norms``: the name of
    the population whose norms it carries.
    """

    id: str
    name: str
    measurements: tuple[Measurement, ...]
    frame: tuple[str, str, str] | None = None
    derived: dict[str, tuple[str, str]] = field(default_factory=dict)
    schema: str | None = None
    description: str = ""
    source: str = ""
    norms: str = ""

    def by_id(self, measurement_id: str) -> Measurement:
        for m in self.measurements:
            if m.id == measurement_id:
                return m
        raise KeyError(measurement_id)

    @property
    def reported(self) -> tuple[Measurement, ...]:
        return tuple(m for m in self.measurements if not m.hidden)

    def refs(self, m: Measurement) -> tuple[str, ...]:
        """Codes and derived points behind ``m`` (through its terms for a sum)."""
        if m.kind != "sum":
            return m.refs
        return tuple(dict.fromkeys(r for t, _ in m.terms for r in self.refs(self.by_id(t))))

    def needs(self, m: Measurement) -> tuple[str, ...]:
        """The schema codes ``m`` needs: its points with derived ones resolved, and the
        frame's when it is signed (through its terms for a sum)."""
        codes: list[str] = []
        for ref in self.refs(m):
            codes.extend(self.derived.get(ref, (ref,)))
        if self.frame is not None and self._signed(m):
            codes.extend(self.frame)
        return tuple(dict.fromkeys(codes))

    def _signed(self, m: Measurement) -> bool:
        if m.kind == "sum":
            return any(self._signed(self.by_id(t)) for t, _ in m.terms)
        return m.signed or m.kind == "point_line"

    def with_norms(self, norms: dict[str, Norm], population: str) -> Analysis:
        """This analysis with other norms (by measurement id); classes a norm implied
        move with it, explicit classes stay."""
        measurements = []
        for m in self.measurements:
            norm = norms.get(m.id)
            if norm is not None:
                classes = (norm_classes(norm, m.above, m.below) if m.classes_from_norm
                           else m.classes)
                m = replace(m, norm=norm, classes=classes)
            measurements.append(m)
        return replace(self, measurements=tuple(measurements), norms=population)

    def bind(self, codes: Sequence[str]) -> BoundAnalysis:
        """This analysis on landmarks with these codes (a schema's abbreviations, in
        order); codes match exactly, else ignoring case when that is unambiguous."""
        from engine.analysis.bound import BoundAnalysis
        return BoundAnalysis.of(self, codes)
