"""Norms files: another population's mean ± SD for an analysis' measurements.

    {"format": 2, "kind": "norms", "id": "steiner_chinese", "analysis": "steiner",
     "name": "Chinese adults", "source": "Author, Journal (year)",
     "norms": {"SNA": {"mean": 82.8, "sd": 4.0}, "SNB": {"mean": 79.4, "sd": 3.8}}}

Applied to the analysis they name (:meth:`Analysis.with_norms`), they give a variant
``steiner@steiner_chinese`` offered next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from engine.analysis.analysis import Analysis
from engine.analysis.loader import ID, line_of, parse_norm, read_spec_file, refuse_unknown
from engine.analysis.model import AnalysisError, Norm

_KEYS = {"format", "kind", "id", "analysis", "name", "source", "norms"}


@dataclass(frozen=True)
class NormsFile:
    id: str
    analysis: str
    name: str
    source: str
    norms: dict[str, Norm]

    def apply(self, analysis: Analysis) -> Analysis:
        """``analysis`` with these norms, as its own entry (``<analysis>@<norms>``)."""
        unknown = sorted(set(self.norms) - {m.id for m in analysis.measurements})
        if unknown:
            raise AnalysisError(f"norms '{self.id}' name measurement(s) {', '.join(unknown)} "
                                f"that analysis '{analysis.id}' does not have")
        variant = analysis.with_norms(self.norms, self.name)
        return replace(variant, id=f"{analysis.id}@{self.id}",
                       name=f"{analysis.name} — {self.name}")


def load_norms_file(path: Path) -> NormsFile:
    data, text = read_spec_file(path, ("norms",))
    return parse_norms(data, text, path)


def parse_norms(data: dict, text: str, path: Path) -> NormsFile:
    """Check a parsed norms file (its top already checked by ``read_spec_file``)."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        refuse_unknown(data, _KEYS, f"{path}, line {line_of(text, unknown[0])}")
    texts = {}
    for key in ("id", "analysis", "name", "source"):
        value = data.get(key, "" if key == "source" else None)
        if not isinstance(value, str) or (key != "source" and not value.strip()):
            raise AnalysisError(f"{path}, line {line_of(text, key)}, field '{key}': "
                                "must be a non-empty text")
        texts[key] = value
    for key in ("id", "analysis"):
        if not ID.match(texts[key]):
            raise AnalysisError(f"{path}, line {line_of(text, key)}, field '{key}': "
                                f"{texts[key]!r} must be letters, digits, _ (a letter first)")
    raw = data.get("norms")
    if not isinstance(raw, dict) or not raw:
        raise AnalysisError(f"{path}, line {line_of(text, 'norms')}, field 'norms': must map "
                            "measurement ids to {\"mean\": .., \"sd\": ..}")
    norms = {}
    for mid, spec in raw.items():
        where = f"{path}, line {line_of(text, mid)}, norm '{mid}'"
        norm = parse_norm(spec, where)
        norms[mid] = Norm(norm.mean, norm.sd, norm.source or texts["source"])
    return NormsFile(texts["id"], texts["analysis"], texts["name"], texts["source"], norms)
