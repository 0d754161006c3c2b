"""Incidents: ceasefire violations and other events, as reported and as verified."""
