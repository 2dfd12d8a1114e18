"""specinv.plotting."""
