"""specinv.learning."""
