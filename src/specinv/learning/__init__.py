"""Shared machinery of the trained networks.

:mod:`~specinv.learning.training` (the training loop), :mod:`~specinv.learning.weights`
(save, load and find weights files with checksummed metadata) and
:mod:`~specinv.learning.blocks` (network building blocks such as the plain MLP).
"""
