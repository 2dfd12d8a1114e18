"""specinv.physics."""
