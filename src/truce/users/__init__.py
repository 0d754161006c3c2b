"""People, their passwords, and the role they hold in each mission."""
