"""Mission files: everything a mission is, in one reviewed file (docs/mission-file.md); create, export, apply."""
