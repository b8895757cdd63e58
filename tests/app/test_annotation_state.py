"""The Qt-free annotation state: one notification per change, naming what changed."""

from __future__ import annotations

import pytest

from cc2d_app.logic.annotation_state import AnnotationState


def test_one_notification_per_change_naming_every_changed_field():
    state, seen = AnnotationState(), []
    state.subscribe(seen.append)
    assert state.update(image_id=3, active=0) == {"image_id", "active"}
    assert state.update(image_id=3, active=1) == {"active"}      # image unchanged
    assert state.update(active=1) == frozenset()                 # nothing changed: silent
    state.update(mode="calibrate", selected=2)
    assert seen == [{"image_id", "active"}, {"active"}, {"mode", "selected"}]
    assert (state.image_id, state.active, state.selected, state.mode) == (3, 1, 2, "calibrate")


def test_unknown_fields_and_modes_are_refused():
    state = AnnotationState()
    with pytest.raises(TypeError, match="zoom"):
        state.update(zoom=2)
    with pytest.raises(ValueError, match="draw"):
        state.update(mode="draw")
    assert state.mode == "annotate"


def test_the_window_and_its_value_range_are_state_too():
    state, seen = AnnotationState(), []
    state.subscribe(seen.append)
    state.update(window=(100.0, 200.0, False), window_range=(0.0, 255.0), notify=False)
    assert seen == []                                            # the caller draws it
    state.update(window=(120.0, 200.0, False))
    state.update(window=(120.0, 200.0, False))                   # the same: silent
    assert seen == [{"window"}]
    assert (state.window, state.window_range) == ((120.0, 200.0, False), (0.0, 255.0))
