"""specinv.bench."""
