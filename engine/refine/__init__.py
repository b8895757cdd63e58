"""Refinement stage: a local detector on high-resolution crops around each coarse landmark."""
