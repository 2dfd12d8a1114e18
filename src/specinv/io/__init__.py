"""specinv.io."""
