"""The small core every layer builds on: errors, units, meshes, the problem and
result types, noise estimation, parallel execution, thread limits and metrics.

Nothing here imports any other part of specinv.
"""
