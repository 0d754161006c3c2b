"""Backups that verify: a consistent copy of a running Truce, and a restore that checks the whole record."""
