"""Benchmark provenance: the commit is traceable also where the tree was copied without git."""

import subprocess

from engine.bench import provenance


def test_commit_from_git_inside_a_checkout():
    commit = provenance.git_commit()
    assert commit == "unknown" or len(commit) == 40


def test_commit_from_environment_without_git(monkeypatch):
    def no_git(*args, **kwargs):
        raise subprocess.CalledProcessError(128, "git")

    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    monkeypatch.setenv("CC2D_COMMIT", "abc123")
    assert provenance.git_commit() == "abc123"
    monkeypatch.delenv("CC2D_COMMIT")
    assert provenance.git_commit() == "unknown"
