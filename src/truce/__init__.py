"""Truce: a system of record for ceasefire monitoring missions."""

__version__ = "0.1.0"
