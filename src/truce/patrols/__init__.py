"""Patrols: planned routes, conducted tracks, and how far a track left its plan."""
