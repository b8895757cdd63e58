"""How long a run has left, in words: this stage's measured time and the later stages'
times from an earlier run of the same profile on this project. Without one, later stages
that only go through the images (no training) are estimated from our benchmark runs'
per-image cost; later training stages are "not timed yet"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def exact_duration(seconds: float) -> str:
    """"4 min 12 s", "12 s", "1 h 3 min"."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m} min"
    return f"{m} min {s} s" if m else f"{s} s"


def about_duration(seconds: float) -> str:
    """A rounded estimate: "under a minute", "about 14 min", "about 2 h 5 min"."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    h, m = divmod(minutes, 60)
    if not h:
        return f"about {m} min"
    return f"about {h} h {m} min" if m else f"about {h} h"


def later_stages(plan: Sequence[str], part: int) -> list[str]:
    """The stages of ``plan`` after stage number ``part`` (1-based; 0: not in the plan)."""
    return list(plan[part:]) if part else []


# Stages that train a network: their time is not proportional to the images.
TRAINING_STAGES = frozenset({"SSL training", "TPL training", "refinement training"})


def time_left_text(stage_left_s: float, later: Sequence[str],
                   expected: Mapping[str, float], per_image_rest_s: float | None = None
                   ) -> str:
    """"about 9 min left in this stage · about 10 min in all" when every later stage has
    a time. Else, when the untimed ones train nothing, ``per_image_rest_s`` (the
    benchmark runs' cost of every non-training stage for these images) stands for them;
    otherwise they are counted as not timed yet."""
    text = f"{about_duration(stage_left_s)} left in this stage"
    if not later:
        return text
    known = stage_left_s + sum(expected[stage] for stage in later if stage in expected)
    untimed = {stage for stage in later if stage not in expected}
    if not untimed:
        return f"{text} · {about_duration(known)} in all"
    if per_image_rest_s is not None and not untimed & TRAINING_STAGES:
        total = known + per_image_rest_s
        return f"{text} · {about_duration(total)} in all (from our measured runs)"
    n = len(later)
    return f"{text} · {n} later stage{'s' if n != 1 else ''} not timed yet"
