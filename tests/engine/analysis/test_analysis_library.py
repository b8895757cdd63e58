"""The analyses on offer: the shipped ones, the user's own folder, and norms files."""

import json

import pytest

from engine.analysis import AnalysisError, analyses_for_schema, library, load_analysis
from engine.analysis.library import USER_DIR_ENV, shipped_analyses_dir

SHIPPED = ("isbi2015", "steiner", "downs", "mcnamara", "wits", "bjork_jarabak", "tweed",
           "ricketts")


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    folder = tmp_path / "analyses"
    folder.mkdir()
    monkeypatch.setenv(USER_DIR_ENV, str(folder))
    return folder


def mine(**extra):
    return {"format": 2, "id": "mine", "name": "Mine", "measurements": [
        {"id": "D", "kind": "distance", "points": ["S", "N"],
         "norm": {"mean": 70, "sd": 3}}], **extra}


def test_every_shipped_analysis_and_norms_file_loads(user_dir):
    lib = library()
    assert lib.problems == ()
    ids = [a.id for a in lib.analyses]
    assert set(SHIPPED) <= set(ids)
    assert "mcnamara@mcnamara_men" in ids and "wits@wits_men" in ids
    for a in lib.analyses:
        for m in a.reported:
            assert m.description, (a.id, m.id)
        assert a.source


def test_a_users_analysis_is_offered_and_a_bad_file_does_not_hide_it(user_dir):
    (user_dir / "mine.json").write_text(json.dumps(mine(), indent=2))
    (user_dir / "broken.json").write_text(json.dumps(
        {**mine(id="broken"), "measurements": [{"id": "X", "kind": "angle",
                                                "points": ["S", "N"]}]}, indent=2))
    lib = library()
    assert lib.get("mine").reported[0].norm.mean == 70
    (problem,) = lib.problems
    assert "broken.json, line" in problem and "field 'points'" in problem
    with pytest.raises(AnalysisError, match="no analysis 'broken'"):
        lib.get("broken")


def test_a_norms_file_gives_a_variant_with_its_classes(user_dir):
    (user_dir / "mine.json").write_text(json.dumps(mine()))
    (user_dir / "mine_tall.json").write_text(json.dumps({
        "format": 2, "kind": "norms", "id": "tall", "analysis": "mine", "name": "tall people",
        "source": "made up for a test", "norms": {"D": {"mean": 80, "sd": 2}}}))
    variant = library().get("mine@tall")
    (m,) = variant.reported
    assert (m.norm.mean, m.norm.sd, m.norm.source) == (80, 2, "made up for a test")
    assert m.normal_range == (78, 82) and variant.norms == "tall people"
    assert variant.name == "Mine — tall people"


@pytest.mark.parametrize(("norms", "message"), [
    ({"analysis": "nothing_like_it"}, "not on offer"),
    ({"norms": {"Q": {"mean": 1, "sd": 1}}}, "measurement(s) Q"),
    ({"norms": {"D": {"mean": 1, "sd": -1}}}, "norm 'D': needs a 'mean' and a positive 'sd'"),
    ({"population": "x"}, "unknown key(s) population"),
])
def test_bad_norms_files_are_reported(user_dir, norms, message):
    (user_dir / "mine.json").write_text(json.dumps(mine()))
    data = {"format": 2, "kind": "norms", "id": "n", "analysis": "mine", "name": "n",
            "norms": {"D": {"mean": 1, "sd": 1}}, **norms}
    (user_dir / "n.json").write_text(json.dumps(data, indent=2))
    (problem,) = library().problems
    assert message in problem


def test_an_id_used_twice_keeps_the_shipped_one(user_dir):
    (user_dir / "steiner.json").write_text(json.dumps(mine(id="steiner")))
    lib = library()
    assert lib.get("steiner").source.startswith("Means: Steiner")
    assert any("already used" in p for p in lib.problems)


def test_a_special_file_in_the_folder_is_reported_not_read(user_dir):
    import os
    os.mkfifo(user_dir / "pipe.json")
    assert any("not a file" in p for p in library().problems)


def test_the_schema_an_analysis_is_written_for():
    assert [a.id for a in analyses_for_schema("isbi2015_cephalometric")] == ["isbi2015"]
    assert set(SHIPPED) - {"isbi2015"} <= {a.id for a in
                                           analyses_for_schema("lateral_ceph_extended")}
    assert analyses_for_schema("custom") == ()


def test_load_by_id_or_path():
    assert load_analysis("steiner").id == "steiner"
    assert load_analysis(shipped_analyses_dir() / "tweed.json").id == "tweed"
