"""The analyses on offer: the shipped ones (``resources/analyses``) and the user's own
(a folder of analysis and norms files, :func:`user_analyses_dir`), each norms file
giving its analysis a variant. A bad user file does not hide the others: it is listed
with its message."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.analysis.analysis import Analysis
from engine.analysis.loader import load_analysis_file, parse_analysis, read_spec_file
from engine.analysis.model import AnalysisError
from engine.analysis.norms import parse_norms
from engine.user_data import app_data_dir

USER_DIR_ENV = "CC2D_USER_ANALYSES_DIR"


def shipped_analyses_dir() -> Path:
    """``<repo>/resources/analyses`` (``CC2D_ANALYSES_DIR`` overrides it)."""
    override = os.environ.get("CC2D_ANALYSES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources" / "analyses"


def user_analyses_dir() -> Path:
    """Where a user puts their own analysis and norms files: ``$CC2D_USER_ANALYSES_DIR``,
    else ``analyses`` in the app's data folder (beside the demo project)."""
    override = os.environ.get(USER_DIR_ENV)
    return Path(override) if override else app_data_dir() / "analyses"


@dataclass(frozen=True)
class Library:
    """Every analysis on offer (variants with other norms after their analysis), and a
    message per file that could not be used."""

    analyses: tuple[Analysis, ...]
    problems: tuple[str, ...]

    def get(self, analysis_id: str) -> Analysis:
        for a in self.analyses:
            if a.id == analysis_id:
                return a
        raise AnalysisError(f"no analysis '{analysis_id}' (there are: "
                            f"{', '.join(a.id for a in self.analyses) or 'none'})")


def library(folders: tuple[Path, ...] | None = None) -> Library:
    """The analyses of ``folders`` (default: the shipped and the user's), in file order
    within each; an id used twice keeps the first and reports the second."""
    folders = folders or (shipped_analyses_dir(), user_analyses_dir())
    analyses: dict[str, Analysis] = {}
    problems: list[str] = []
    norms_files = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                data, text = read_spec_file(path, ("analysis", "norms"))
                if data.get("kind", "analysis") == "norms":
                    norms_files.append(parse_norms(data, text, path))
                    continue
                analysis = parse_analysis(data, str(path), text)
            except AnalysisError as exc:
                problems.append(str(exc))
                continue
            if analysis.id in analyses:
                problems.append(f"{path}: analysis id '{analysis.id}' is already used by "
                                "another file; this one is skipped")
                continue
            analyses[analysis.id] = analysis
    ordered = list(analyses.values())
    for norms in norms_files:
        base = analyses.get(norms.analysis)
        if base is None:
            problems.append(f"norms '{norms.id}' are for analysis '{norms.analysis}', "
                            "which is not on offer")
            continue
        try:
            variant = norms.apply(base)
        except AnalysisError as exc:
            problems.append(str(exc))
            continue
        ordered.insert(ordered.index(base) + 1 + sum(
            a.id.startswith(f"{base.id}@") for a in ordered), variant)
    return Library(tuple(ordered), tuple(problems))


def load_analysis(spec: str | os.PathLike[str]) -> Analysis:
    """An analysis from a JSON file path or the id of one on offer (``isbi2015``,
    ``steiner``, ``steiner@<norms id>``)."""
    path = Path(spec)
    if path.suffix.lower() == ".json" or path.is_file():
        return load_analysis_file(path)
    return library().get(str(spec))


def analyses_for_schema(schema_id: str) -> tuple[Analysis, ...]:
    """The shipped analyses written for a landmark schema (its file names the schema)."""
    return tuple(a for a in library((shipped_analyses_dir(),)).analyses
                 if a.schema == schema_id)
