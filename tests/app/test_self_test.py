"""`cc2d-app --self-test` from a source checkout, and how failures are reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cc2d_app import self_test
from cc2d_app.self_test import CHECKS, SelfTestError, run_checks


def test_self_test_from_another_directory_passes_without_touching_home(tmp_path: Path) -> None:
    app = Path(sys.executable).with_name("cc2d-app")
    if not app.is_file():
        pytest.skip(f"no installed entry point at {app}")
    home = tmp_path / "home"
    home.mkdir()
    drop = {"PYTHONPATH", "CC2D_SETTINGS_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home))
    done = subprocess.run([str(app), "--self-test"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for name, _check in CHECKS:
        assert f"  ok    {name}: " in done.stdout
    assert "self-test passed" in done.stdout
    # The demo went to a temporary settings folder, not the user's data or config folders.
    assert not [p for p in home.rglob("*") if "CC2D" in p.name or p.suffix == ".ini"]


def test_every_check_runs_and_a_failure_exits_non_zero_with_its_reason() -> None:
    def broken() -> str:
        raise SelfTestError("the 'xcb' platform plugin is missing")

    lines: list[str] = []
    status = run_checks([("first", lambda: "fine"), ("plugins", broken),
                         ("last", lambda: "also fine")], lines.append)
    assert status == 1
    assert lines[0].startswith("  ok    first: fine (")
    assert lines[1] == "  FAIL  plugins: SelfTestError: the 'xcb' platform plugin is missing"
    assert lines[2].startswith("  ok    last: also fine (")
    assert lines[3] == "self-test FAILED: plugins"


def test_all_checks_passing_exits_zero() -> None:
    lines: list[str] = []
    assert run_checks([("one", lambda: "fine")], lines.append) == 0
    assert lines[-1] == "self-test passed"


def test_missing_resources_fail_the_resources_check(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CC2D_SCHEMAS_DIR", str(tmp_path))
    with pytest.raises(SelfTestError, match="shipped schemas"):
        self_test.check_resources()


def test_a_bundle_that_loads_packages_from_elsewhere_fails(tmp_path, monkeypatch) -> None:
    # Frozen, with the bundle in tmp_path: torch from the venv is "outside the bundle".
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(SelfTestError, match="outside the bundle: torch, torchvision"):
        self_test.check_imports()


def test_weights_from_outside_the_bundle_fail_the_weights_check(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(SelfTestError, match="ImageNet weights load from outside the bundle"):
        self_test.check_pretrained_weights()
