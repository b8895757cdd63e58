"""Benchmark provenance: the commit is traceable also where the tree was copied without git."""

import subprocess

from engine.bench import provenance


def test_commit_from_git_inside_a_checkout(monkeypatch):
    monkeypatch.delenv("CC2D_COMMIT", raising=False)
    commit = provenance.git_commit()
    assert commit == "unknown" or len(commit) == 40


def test_named_commit_wins_over_a_stale_checkout(monkeypatch):
    monkeypatch.setenv("CC2D_COMMIT", "abc123")
    assert provenance.git_commit() == "abc123"


def test_unknown_without_git_or_a_named_commit(monkeypatch):
    def no_git(*args, **kwargs):
        raise subprocess.CalledProcessError(128, "git")

    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    monkeypatch.delenv("CC2D_COMMIT", raising=False)
    assert provenance.git_commit() == "unknown"
