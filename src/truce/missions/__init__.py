"""Missions, the parties to them, their delegations and the force's deployments."""
