"""Humanitarian flows: crossings at checkpoints, convoys, returns and two-sided exchanges."""
