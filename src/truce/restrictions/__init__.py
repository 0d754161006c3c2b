"""Restrictions of the freedom of movement, and UAV flights with their interference."""
