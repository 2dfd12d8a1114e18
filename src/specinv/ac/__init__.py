"""Analytic continuation of imaginary-time and Matsubara data
(:mod:`~specinv.ac.continuation`) and the conductivity networks of seed 003
(:mod:`~specinv.ac.conductivity`).
"""
