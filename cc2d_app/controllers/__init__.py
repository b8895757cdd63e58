"""Long work and its wiring: workers that adapt the engine's callbacks to Qt, and the
controllers that schedule project jobs and store their results through the session."""
