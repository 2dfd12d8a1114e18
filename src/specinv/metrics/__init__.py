"""specinv.metrics."""
