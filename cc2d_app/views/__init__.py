"""Widgets that show a project: they subscribe to the session and never write to it."""
