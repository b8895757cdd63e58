"""Landmark schemas: the shipped ISBI schema, custom schemas, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from project_helpers import N_CUSTOM, custom_schema

from engine.errors import ProjectError
from engine.project import (
    LandmarkDef,
    LandmarkSchema,
    Project,
    default_schema,
    load_schema,
)
from engine.project.schema import shipped_schema_ids, shipped_schemas_dir

ISBI_NAMES = (
    "Sella", "Nasion", "Orbitale", "Porion", "Subspinale (A point)", "Supramentale (B point)",
    "Pogonion", "Menton", "Gnathion", "Gonion", "Lower incisal incision",
    "Upper incisal incision", "Upper lip", "Lower lip", "Subnasale", "Soft tissue pogonion",
    "Posterior nasal spine", "Anterior nasal spine", "Articulare",
)


def test_shipped_schemas_are_found_from_the_source_tree() -> None:
    folder = shipped_schemas_dir()
    assert folder == Path(__file__).resolve().parents[3] / "resources" / "schemas"
    assert "isbi2015_cephalometric" in shipped_schema_ids()


def test_default_schema_is_isbi_19_in_order() -> None:
    schema = default_schema()
    assert schema.names == ISBI_NAMES
    assert all(lm.abbreviation for lm in schema.landmarks)
    colors = [lm.color for lm in schema.landmarks]
    assert all(colors) and len(set(colors)) == 19
    assert schema.label(0) == "S" and schema.index_of("a") == 4  # abbreviation, any case
    assert schema.index_of("articulare") == 18 and schema.index_of("nope") is None
    descriptions = [lm.description for lm in schema.landmarks]
    assert all(descriptions) and len(set(descriptions)) == 19
    assert schema.landmarks[0].description == "Centre of the sella turcica (pituitary fossa)"


def test_custom_schema_roundtrips_through_a_file(tmp_path: Path) -> None:
    schema = custom_schema()
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(schema.to_dict(), ensure_ascii=False), encoding="utf-8")
    loaded = load_schema(path)
    assert loaded == schema and len(loaded) == N_CUSTOM
    assert loaded.landmarks[4].description == schema.landmarks[4].description is not None


def test_descriptions_are_stored_in_the_project(tmp_path: Path) -> None:
    Project.create(tmp_path / "p", schema=custom_schema()).close()
    with Project.open(tmp_path / "p", read_only=True) as project:
        assert project.schema == custom_schema()
        assert project.schema.landmarks[0].description.startswith("Centre of joint 1")


def test_schema_from_bare_names_and_strings() -> None:
    assert LandmarkSchema.from_names(["a", "b"]).names == ("a", "b")
    assert LandmarkSchema.from_dict({"landmarks": ["x", {"name": "y"}]}).names == ("x", "y")


@pytest.mark.parametrize(
    ("landmarks", "message"),
    [
        ((), "has no landmarks"),
        ((LandmarkDef("a"), LandmarkDef("A")), "both 'A'"),
        ((LandmarkDef(" a"),), "invalid name"),
        ((LandmarkDef("a\nb"),), "invalid name"),
        ((LandmarkDef("a", color="red"),), "is not like '#ff8800'"),
        ((LandmarkDef("a", abbreviation=""),), "invalid abbreviation"),
        ((LandmarkDef("a", description="two\nlines"),), "invalid description"),
        ((LandmarkDef("a", description=" padded"),), "invalid description"),
    ],
)
def test_invalid_schemas_are_refused(landmarks: tuple[LandmarkDef, ...], message: str) -> None:
    with pytest.raises(ProjectError, match=message):
        LandmarkSchema(name="bad", landmarks=landmarks)


def test_unknown_schema_names_the_shipped_ones() -> None:
    with pytest.raises(ProjectError, match="isbi2015_cephalometric"):
        load_schema("no_such_schema")


def test_malformed_schema_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProjectError, match="cannot read landmark schema"):
        load_schema(path)
    path.write_text('{"landmarks": [{"abbreviation": "x"}]}', encoding="utf-8")
    with pytest.raises(ProjectError, match="landmark 1 has no 'name'"):
        load_schema(path)
    path.write_text('{"landmarks": [{"name": "x", "description": 3}]}', encoding="utf-8")
    with pytest.raises(ProjectError, match="landmark 1 description must be text"):
        load_schema(path)


def test_schemas_dir_can_be_overridden_for_other_layouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hand37.json").write_text(
        json.dumps(custom_schema().to_dict()), encoding="utf-8"
    )
    monkeypatch.setenv("CC2D_SCHEMAS_DIR", str(tmp_path))
    assert shipped_schema_ids() == ["hand37"]
    assert load_schema("hand37") == custom_schema()
