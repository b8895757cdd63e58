"""Which shipped analysis a project's landmark schema gets: the one whose file names the
schema's id and landmark count, else none."""

import json

from engine.analysis import analysis_for_schema
from engine.project import default_schema


def test_the_shipped_isbi_schema_gets_the_isbi_analysis():
    schema = default_schema()
    analysis = analysis_for_schema(schema.id, len(schema))
    assert analysis is not None and analysis.id == "isbi2015"


def test_other_schemas_get_none():
    assert analysis_for_schema("custom", 19) is None             # 19 landmarks, other schema
    assert analysis_for_schema("isbi2015_cephalometric", 18) is None  # same id, other count


def test_an_analysis_file_names_its_schema(tmp_path, monkeypatch):
    (tmp_path / "mine.json").write_text(json.dumps({
        "format": 1, "id": "mine", "name": "Mine", "schema": "my_three", "landmarks": 3,
        "measurements": [{"id": "D", "kind": "distance", "points": [1, 3]}]}))
    monkeypatch.setenv("CC2D_ANALYSES_DIR", str(tmp_path))
    assert analysis_for_schema("my_three", 3).id == "mine"
    assert analysis_for_schema("isbi2015_cephalometric", 19) is None
