"""Analysis files: JSON that defines measurements over landmark codes, checked on load.

    {"format": 2, "kind": "analysis", "id": "steiner", "name": "Steiner",
     "schema": "lateral_ceph_extended", "frame": ["S", "N", "Me"],
     "derived": {"Occ": {"mid": ["UIT", "LIT"]}}, "source": "...",
     "measurements": [
       {"id": "SNA", "kind": "angle", "points": ["S", "N", "A"],
        "norm": {"mean": 82, "sd": 2}, "above": "prognathic maxilla",
        "below": "retrognathic maxilla"},
       {"id": "ANB", "kind": "sum", "terms": ["SNA", "-SNB"], "classes": [...]}]}

Kinds: ``angle`` (points a, vertex, b), ``line_angle`` (lines [[a, b], [c, d]], optional
``signed``), ``distance`` (points [start, end], optional ``sign_along`` [c, d]),
``projection`` (points [start, end] projected on lines [[c, d]]), ``point_line``
(points [p]: its signed distance from lines [[c, d]]), ``ratio`` (lines: numerator,
denominator; ``percent``) and ``sum`` (terms: ids of earlier measurements, ``-`` in front
to subtract). ``classes`` are explicit ranges; without them a ``norm`` implies three
(within mean ± SD, ``above``, ``below``). Signed values need the top-level ``frame``.
``hidden`` marks a part of a sum that is not reported alone. Unknown keys are errors, so
a typo never silently drops a setting; every message names the file, the line and the
field. Norms files (:mod:`engine.analysis.norms`) give another population's norms.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from engine.analysis.analysis import Analysis
from engine.analysis.model import (
    KINDS,
    QUANTITY_OF_KIND,
    AnalysisError,
    ClassRange,
    Measurement,
    Norm,
    norm_classes,
)
from engine.json_files import JsonReadError, read_json_with_text

FORMAT = 2
ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TOP_KEYS = {"format", "kind", "id", "name", "schema", "frame", "derived", "description",
             "source", "norms", "measurements"}
_KEYS = {"id", "name", "kind", "points", "lines", "signed", "sign_along", "terms", "percent",
         "classes", "norm", "above", "below", "hidden", "description", "note"}
_POINTS = {"angle": 3, "distance": 2, "projection": 2, "point_line": 1}
_LINES = {"line_angle": 2, "ratio": 2, "projection": 1, "point_line": 1}
_CLASS_KEYS = {"name", "meaning", "min", "max", "normal"}
_NORM_KEYS = {"mean", "sd", "source"}
MAX_CODE = 32


def read_spec_file(path: Path, kinds: tuple[str, ...] = ("analysis",)) -> tuple[dict, str]:
    """A format-2 file's object (its ``kind`` one of ``kinds``) and text, checked at the
    top."""
    try:
        data, text = read_json_with_text(path)
    except JsonReadError as exc:
        raise AnalysisError(f"cannot read {' or '.join(kinds)} file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise AnalysisError(f"{path}: expected a JSON object at the top")
    if data.get("format") != FORMAT:
        old = " (format 1 numbered the landmarks; name them by code now)" \
            if data.get("format") == 1 else ""
        raise AnalysisError(f"{path}, line {line_of(text, 'format')}: 'format' must be "
                            f"{FORMAT}, got {data.get('format')!r}{old}")
    if data.get("kind", "analysis") not in kinds:
        raise AnalysisError(f"{path}, line {line_of(text, 'kind')}, field 'kind': "
                            f"{data.get('kind')!r} is not {' or '.join(map(repr, kinds))}")
    return data, text


def load_analysis_file(path: Path) -> Analysis:
    data, text = read_spec_file(path)
    return parse_analysis(data, where=str(path), text=text)


def parse_analysis(data: Any, where: str = "analysis", text: str = "") -> Analysis:
    """Check ``data`` (a parsed analysis file) and build the :class:`Analysis`; ``text``
    (the file's) lets messages name lines."""
    if not isinstance(data, dict):
        raise AnalysisError(f"{where}: expected a JSON object at the top")
    top = _Where(where, text)
    _no_unknown(data, _TOP_KEYS, top)
    derived = _derived(data.get("derived", {}), top.at("derived"))
    frame = None
    if "frame" in data:
        frame = _codes(data["frame"], 3, top.at("frame"), "frame")
    raw = data.get("measurements")
    if not isinstance(raw, list) or not raw:
        raise AnalysisError(f"{top.at('measurements')}: 'measurements' must be a non-empty list")
    measurements: dict[str, Measurement] = {}
    for k, item in enumerate(raw, start=1):
        m = _measurement(item, frame, measurements, top.measurement(k, item))
        measurements[m.id] = m
    return Analysis(id=_id(data, top), name=_text(data, "name", top),
                    measurements=tuple(measurements.values()), frame=frame, derived=derived,
                    schema=_optional_text(data, "schema", top),
                    description=_optional_text(data, "description", top) or "",
                    source=_optional_text(data, "source", top) or "",
                    norms=_optional_text(data, "norms", top) or "")


class _Where:
    """Where in a file a message is about: the file, the line (found in its text) and
    the object's name."""

    def __init__(self, file: str, text: str, line: int | None = None, what: str = "") -> None:
        self.file, self.text, self.line, self.what = file, text, line, what

    def at(self, key: str) -> str:
        line = self.line or line_of(self.text, key)
        return self._format(line, self.what)

    def measurement(self, k: int, item: Any) -> _Where:
        mid = item.get("id") if isinstance(item, dict) else None
        line = line_of(self.text, "id", mid) if isinstance(mid, str) else None
        name = f"measurement {k}" + (f" ({mid})" if isinstance(mid, str) else "")
        return _Where(self.file, self.text, line, name)

    def field(self, key: str) -> str:
        return self._format(self.line, f"{self.what}, field '{key}'" if self.what
                            else f"field '{key}'")

    def _format(self, line: int | None, what: str) -> str:
        parts = [self.file] + ([f"line {line}"] if line else []) + ([what] if what else [])
        return ", ".join(parts)


def line_of(text: str, key: str, value: str | None = None) -> int | None:
    """The 1-based line of ``"key":`` (followed by ``"value"`` when given) in ``text``."""
    pattern = rf'"{re.escape(key)}"\s*:' + (rf'\s*"{re.escape(value)}"' if value else "")
    found = re.search(pattern, text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _measurement(item: Any, frame: tuple[str, str, str] | None,
                 earlier: dict[str, Measurement], where: _Where) -> Measurement:
    if not isinstance(item, dict):
        raise AnalysisError(f"{where.at('measurements')}: expected an object")
    _no_unknown(item, _KEYS, where)
    mid = _id(item, where)
    if mid in earlier:
        raise AnalysisError(f"{where.field('id')}: '{mid}' is used twice")
    kind = item.get("kind")
    if kind not in KINDS:
        raise AnalysisError(f"{where.field('kind')}: {kind!r} is not one of {', '.join(KINDS)}")
    fields: dict[str, Any] = {}
    for key, count in (("points", _POINTS.get(kind)), ("lines", _LINES.get(kind))):
        if count is None:
            if key in item:
                raise AnalysisError(f"{where.field(key)}: a {kind} has no '{key}'")
            continue
        if key not in item:
            raise AnalysisError(f"{where.field(key)}: a {kind} needs '{key}'")
        if key == "points":
            fields[key] = _codes(item[key], count, where.field(key), key)
        else:
            raw = item[key]
            if not isinstance(raw, list) or len(raw) != count:
                raise AnalysisError(f"{where.field(key)}: expected {count} [from, to] pair(s)")
            fields[key] = tuple(_codes(line, 2, where.field(key), "line") for line in raw)
    signed = _flag(item, "signed", where)
    if signed and kind != "line_angle":
        raise AnalysisError(f"{where.field('signed')}: only a line_angle is signed")
    if (signed or kind == "point_line") and frame is None:
        raise AnalysisError(f"{where.field('kind' if kind == 'point_line' else 'signed')}: "
                            "a signed value needs the analysis' 'frame' (three landmarks "
                            "that say which way the face looks)")
    if "sign_along" in item:
        if kind != "distance":
            raise AnalysisError(f"{where.field('sign_along')}: for a distance only")
        fields["sign_along"] = _codes(item["sign_along"], 2, where.field("sign_along"), "line")
    percent = _flag(item, "percent", where)
    if percent and kind != "ratio":
        raise AnalysisError(f"{where.field('percent')}: for a ratio only")
    quantity = QUANTITY_OF_KIND.get(kind)
    if kind == "sum":
        if "terms" not in item:
            raise AnalysisError(f"{where.field('terms')}: a sum needs 'terms'")
        fields["terms"] = _terms(item["terms"], earlier, where.field("terms"))
        quantities = {earlier[t].quantity for t, _ in fields["terms"]}
        if len(quantities) > 1:
            raise AnalysisError(f"{where.field('terms')}: a sum cannot add "
                                f"{' and '.join(sorted(quantities))}")
        quantity = quantities.pop()
    norm = parse_norm(item["norm"], where.field("norm")) if "norm" in item else None
    above, below = (_optional_text(item, k, where) or "" for k in ("above", "below"))
    classes = _classes(item.get("classes", []), where)
    from_norm = not classes and norm is not None
    if from_norm:
        classes = norm_classes(norm, above, below)
    return Measurement(id=mid, name=_optional_text(item, "name", where) or mid, kind=kind,
                       quantity=quantity, signed=signed, percent=percent, classes=classes,
                       norm=norm, above=above, below=below, classes_from_norm=from_norm,
                       hidden=_flag(item, "hidden", where),
                       description=_optional_text(item, "description", where) or "",
                       note=_optional_text(item, "note", where) or "", **fields)


def _derived(raw: Any, where: str) -> dict[str, tuple[str, str]]:
    if not isinstance(raw, dict):
        raise AnalysisError(f"{where}: 'derived' maps a point's name to {{\"mid\": [a, b]}}")
    out = {}
    for name, spec in raw.items():
        if not ID.match(name) or not isinstance(spec, dict) or set(spec) != {"mid"}:
            raise AnalysisError(f"{where}: derived point {name!r} must be a name (letters, "
                                "digits, _) mapped to {\"mid\": [a, b]}")
        a, b = _codes(spec["mid"], 2, f"{where}: derived point {name}", "mid")
        if a in raw or b in raw:
            raise AnalysisError(f"{where}: derived point {name} is made of another "
                                "derived point")
        out[name] = (a, b)
    return out


def _terms(raw: Any, earlier: dict[str, Measurement], where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise AnalysisError(f"{where}: must be a list of measurement ids")
    terms = []
    for t in raw:
        sign, tid = (-1.0, t[1:]) if t.startswith("-") else (1.0, t.lstrip("+"))
        if tid not in earlier:
            raise AnalysisError(f"{where}: '{tid}' is not a measurement defined before it")
        terms.append((tid, sign))
    return tuple(terms)


def parse_norm(raw: Any, where: str) -> Norm:
    if not isinstance(raw, dict):
        raise AnalysisError(f"{where}: expected {{\"mean\": .., \"sd\": ..}}")
    refuse_unknown(raw, _NORM_KEYS, where)
    mean, sd = (_bound(raw.get(k), f"{where} {k}") for k in ("mean", "sd"))
    if mean is None or sd is None or not sd > 0:
        raise AnalysisError(f"{where}: needs a 'mean' and a positive 'sd'")
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise AnalysisError(f"{where} source: must be a text")
    return Norm(mean, sd, source)


def _classes(raw: Any, where: _Where) -> tuple[ClassRange, ...]:
    here = where.field("classes")
    if not isinstance(raw, list):
        raise AnalysisError(f"{here}: must be a list")
    out: list[ClassRange] = []
    for item in raw:
        if not isinstance(item, dict):
            raise AnalysisError(f"{here}: each class is an object")
        refuse_unknown(item, _CLASS_KEYS, here)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise AnalysisError(f"{here}: each class needs a 'name'")
        lo, hi = (_bound(item.get(k), f"{here}: class {name} {k}") for k in ("min", "max"))
        if lo is None and hi is None:
            raise AnalysisError(f"{here}: class {name} needs 'min', 'max' or both")
        if lo is not None and hi is not None and lo > hi:
            raise AnalysisError(f"{here}: class {name} has min {lo} > max {hi}")
        if name in {c.name for c in out}:
            raise AnalysisError(f"{here}: class {name} appears twice")
        normal, meaning = item.get("normal", False), item.get("meaning", "")
        if not isinstance(normal, bool) or not isinstance(meaning, str):
            raise AnalysisError(f"{here}: class {name}: 'normal' is true or false, "
                                "'meaning' a text")
        out.append(ClassRange(name=name, meaning=meaning, min=lo, max=hi, normal=normal))
    if sum(c.normal for c in out) > 1:
        raise AnalysisError(f"{here}: at most one class is the normal one")
    return tuple(out)


def _codes(raw: Any, count: int, where: str, what: str) -> tuple[str, ...]:
    """``count`` distinct landmark codes (or derived point names)."""
    if (not isinstance(raw, list) or len(raw) != count
            or not all(isinstance(c, str) and c.strip() and len(c) <= MAX_CODE for c in raw)):
        raise AnalysisError(f"{where}: expected {count} landmark code(s) for '{what}' "
                            f"(texts like \"S\"), got {raw!r}")
    if len(set(raw)) != count:
        raise AnalysisError(f"{where}: {raw} names a landmark twice")
    return tuple(raw)


def _bound(raw: Any, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise AnalysisError(f"{where}: {raw!r} is not a number")
    return float(raw)


def _flag(data: dict, key: str, where: _Where) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise AnalysisError(f"{where.field(key)}: must be true or false")
    return value


def _id(data: dict, where: _Where) -> str:
    value = _text(data, "id", where)
    if not ID.match(value):
        raise AnalysisError(f"{where.field('id')}: {value!r} must be letters, digits, _ "
                            "(a letter first)")
    return value


def _text(data: dict, key: str, where: _Where) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AnalysisError(f"{where.field(key)}: must be a non-empty text")
    return value


def _optional_text(data: dict, key: str, where: _Where) -> str | None:
    if key not in data:
        return None
    return _text(data, key, where)


def _no_unknown(data: dict, allowed: set[str], where: _Where) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        refuse_unknown(data, allowed, where.field(unknown[0]))


def refuse_unknown(data: dict, allowed: set[str], where: str) -> None:
    """An AnalysisError naming the keys of ``data`` not in ``allowed``, so a typo never
    silently drops a setting."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise AnalysisError(f"{where}: unknown key(s) {', '.join(unknown)} "
                            f"(allowed: {', '.join(sorted(allowed))})")
