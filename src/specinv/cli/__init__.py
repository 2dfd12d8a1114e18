"""specinv.cli."""
