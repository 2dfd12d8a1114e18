"""α²F by physics fitting: the exact Eliashberg engine run backwards (gap or dI/dV data)."""
