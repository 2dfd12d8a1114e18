"""Migdal-Eliashberg theory: the engine (:mod:`~specinv.eliashberg.engine`) and the
gap → α²F inversion (:mod:`~specinv.eliashberg.gap2a2f`).
"""
