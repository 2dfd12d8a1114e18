"""The seed study's Eliashberg setup, named once.

The gap → α²F data sets, the bench and the CLI defaults all solve at the
seed paper's temperature, Coulomb pseudopotential and Matsubara cutoff; they
read these values from :data:`SEED_SETUP` instead of repeating the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedSetup:
    """Temperature, μ* and Matsubara count of the seed study.

    Parameters
    ----------
    temperature_K : float
        Temperature, K (1.16 K: far below every T_c of the data sets).
    mu_star : float
        Coulomb pseudopotential μ* (dimensionless).
    n_matsubara : int
        Positive Matsubara frequencies kept, M.
    """

    temperature_K: float = 1.16
    mu_star: float = 0.1
    n_matsubara: int = 350


#: the setup every seed-study computation uses
SEED_SETUP = SeedSetup()
