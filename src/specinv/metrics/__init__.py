"""Figures of merit for recovered spectra."""

from specinv.metrics.spectra import (
    coherence_peaks,
    count_extrema,
    l2_error,
    negativity,
    oscillation,
    total_variation,
)

__all__ = ["coherence_peaks", "count_extrema", "l2_error", "negativity", "oscillation",
           "total_variation"]
