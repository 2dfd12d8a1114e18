"""Tunneling spectroscopy: thermal and lock-in deconvolution of dI/dV curves and maps.

Modules: :mod:`~specinv.sts.dos` (model densities of states),
:mod:`~specinv.sts.simulate` (simulated dI/dV), :mod:`~specinv.sts.workflow`
(curve in, DOS out), :mod:`~specinv.sts.plots`, :mod:`~specinv.sts.cli`,
:mod:`~specinv.sts.cli_map` (grid maps), :mod:`~specinv.sts.bench`.
"""
