"""specinv.io: everything that touches user files.

Readers (text tables, spectra, Nanonis ``.dat``/``.3ds``, QMC files, NumPy
archives in :mod:`~specinv.io.arrays`) turn any malformed file into one
:class:`~specinv.core.errors.InputError`; :mod:`~specinv.io.output` checks
output paths before work and :mod:`~specinv.io.atomic` writes them all or
nothing; :mod:`~specinv.io.limits` refuses size parameters beyond the memory
ceiling; :mod:`~specinv.io.options` parses command-line values.
"""
