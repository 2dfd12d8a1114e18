"""The Matsubara set-up of the Eliashberg equations: frequencies, λ kernels, μ*.

The positive fermionic frequencies ω_n = πT(2n+1), the electron–phonon kernel
λ(k) = ∫ 2Ω α²F / ((2πTk)² + Ω²) dΩ folded onto positive frequencies
(K^± = λ(|n−m|) ± λ(n+m+1)), the normal-state Z and the Coulomb term with μ*
rescaled to the cutoff ω_c: everything the nonlinear solver
(:mod:`specinv.eliashberg.engine.matsubara`) and the linearized T_c problem
(:mod:`specinv.eliashberg.engine.tc`) share. Energies in meV, temperatures in K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import A2F


def matsubara_frequencies(temperature: float, n: int) -> np.ndarray:
    """ω_n = πk_BT(2n+1), n = 0 … n−1, in meV.

    Parameters
    ----------
    temperature : float
        Temperature (K).
    n : int
        Number of positive frequencies.

    Returns
    -------
    ndarray of shape (n,)
        Fermionic Matsubara frequencies (meV).
    """
    return np.pi * KB_MEV_PER_K * temperature * (2 * np.arange(n) + 1)


def lambda_kernel(a2f: A2F, temperature: float, n: int) -> np.ndarray:
    """λ(k) = ∫ 2Ω α²F(Ω) / (ν_k² + Ω²) dΩ for bosonic ν_k = 2πk_BTk, k = 0 … n−1.

    Parameters
    ----------
    a2f : A2F
        Eliashberg function (meV mesh).
    temperature : float
        Temperature (K).
    n : int
        Number of bosonic frequencies.

    Returns
    -------
    ndarray of shape (n,)
        λ(k), dimensionless; λ(0) is the coupling λ.
    """
    nu_k = 2.0 * np.pi * KB_MEV_PER_K * temperature * np.arange(n)
    num = 2.0 * a2f.weight * a2f.nu
    return (num[None, :] / (nu_k[:, None] ** 2 + a2f.nu[None, :] ** 2)).sum(axis=1)


def effective_mu_star(mu_star: float, omega_ph: float, omega_c: float,
                      rescale: bool = True) -> float:
    """μ*(ω_c) = μ*/(1 + μ* ln(ω_ph/ω_c)), or μ* unchanged when ``rescale`` is False.

    Parameters
    ----------
    mu_star : float
        Coulomb pseudopotential referred to ``omega_ph``.
    omega_ph : float
        Highest phonon energy (meV).
    omega_c : float
        Coulomb cutoff (meV).
    rescale : bool
        Apply the rescaling.

    Returns
    -------
    float
        μ* at the cutoff.

    Raises
    ------
    ParameterError
        When ``1 + μ* ln(ω_ph/ω_c) <= 0`` (cutoff too high for this μ*).
    """
    if not rescale or mu_star == 0:
        return float(mu_star)
    den = 1.0 + mu_star * np.log(omega_ph / omega_c)
    if den <= 0:
        raise ParameterError(
            f"μ* = {mu_star} cannot be rescaled from ω_ph = {omega_ph:.3g} meV to "
            f"ω_c = {omega_c:.3g} meV (1 + μ* ln(ω_ph/ω_c) <= 0); lower the cutoff")
    return float(mu_star / den)


@dataclass(frozen=True)
class MatsubaraSetup:
    """Frequencies, kernels and Coulomb term shared by the nonlinear and linear solvers.

    Built by :func:`setup`; every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    temperature : float
        Temperature (K).
    omega_n : ndarray of shape (M,)
        Positive fermionic Matsubara frequencies (meV).
    lam : ndarray of shape (2M,)
        λ(k), k = 0 … 2M−1 (dimensionless).
    k_plus, k_minus : ndarray of shape (M, M)
        ``λ(n−m) ± λ(n+m+1)``: the kernels folded onto positive frequencies.
    z_normal : ndarray of shape (M,)
        Normal-state Z_n = 1 + (πT/ω_n)[2Σ_{k≤n} λ(k) − λ(0)].
    coulomb : ndarray of shape (M,)
        ``2 μ*_c θ(ω_c − ω_m)``.
    mu_star : float
        μ* as given (referred to ``omega_ph``).
    mu_star_eff : float
        μ* at the cutoff (equal to ``mu_star`` without rescaling).
    omega_c : float
        Coulomb cutoff (meV).
    omega_ph : float
        Highest phonon energy of α²F (meV).
    rescale_mu : bool
        Whether μ* was rescaled to ω_c.
    """

    temperature: float
    omega_n: np.ndarray
    lam: np.ndarray          # λ(k), k = 0 … 2M−1
    k_plus: np.ndarray       # (M, M)
    k_minus: np.ndarray      # (M, M)
    z_normal: np.ndarray     # 1 + (πT/ω_n)[λ(0) + 2Σ_{k≤n} λ(k)]
    coulomb: np.ndarray      # 2 μ*_c θ(ω_c − ω_m), shape (M,)
    mu_star: float
    mu_star_eff: float
    omega_c: float
    omega_ph: float
    rescale_mu: bool

    @property
    def pit(self) -> float:
        """πk_BT in meV."""
        return np.pi * KB_MEV_PER_K * self.temperature


def default_n_matsubara(a2f: A2F, temperature: float, omega_c: float) -> int:
    """All frequencies below the cutoff ω_c (at least 16): ω_{M−1} < ω_c <= ω_M.

    Parameters
    ----------
    a2f : A2F
        Eliashberg function (unused: the count depends on T and ω_c only).
    temperature : float
        Temperature (K).
    omega_c : float
        Cutoff (meV).

    Returns
    -------
    int
        Number M of positive Matsubara frequencies.
    """
    return max(16, int(np.ceil(omega_c / (2 * np.pi * KB_MEV_PER_K * temperature) - 0.5)))


def setup(a2f: A2F, temperature: float, mu_star: float, *, n_matsubara: int | None = None,
          cutoff: float | None = None, rescale_mu: bool = True) -> MatsubaraSetup:
    """Build the Matsubara kernels at ``temperature`` (K).

    Parameters
    ----------
    a2f : A2F
        Eliashberg function (meV mesh).
    temperature : float
        K, > 0.
    mu_star : float
        Coulomb pseudopotential (≥ 0) referred to ω_ph = highest phonon energy.
    n_matsubara : int, optional
        M positive frequencies (default :func:`default_n_matsubara`).
    cutoff : float, optional
        Coulomb cutoff ω_c in meV (default 10 ω_max).
    rescale_mu : bool
        Rescale μ* to ω_c (default) or use it unscaled.

    Returns
    -------
    MatsubaraSetup
        Frequencies, λ kernels and Coulomb term.
    """
    if not np.isfinite(temperature) or temperature <= 0:
        raise ParameterError(f"temperature must be > 0 K, got {temperature}")
    if not np.isfinite(mu_star) or mu_star < 0:
        raise ParameterError(f"mu* must be >= 0, got {mu_star}")
    omega_ph = a2f.omega_max
    omega_c = 10.0 * omega_ph if cutoff is None else float(cutoff)
    if not omega_c > 0:
        raise ParameterError(f"cutoff must be > 0 meV, got {cutoff}")
    m = default_n_matsubara(a2f, temperature, omega_c) if n_matsubara is None else n_matsubara
    if m < 2:
        raise ParameterError(f"need at least 2 Matsubara frequencies, got {m}")
    wn = matsubara_frequencies(temperature, m)
    lam = lambda_kernel(a2f, temperature, 2 * m)
    i = np.arange(m)
    diff = np.abs(i[:, None] - i[None, :])
    summ = i[:, None] + i[None, :] + 1
    kp = lam[diff] + lam[summ]
    km = lam[diff] - lam[summ]
    pit = np.pi * KB_MEV_PER_K * temperature
    csum = np.cumsum(lam[:m])
    z_normal = 1.0 + pit / wn * (2.0 * csum - lam[0])
    mu_eff = effective_mu_star(mu_star, omega_ph, omega_c, rescale_mu)
    coulomb = np.where(wn < omega_c, 2.0 * mu_eff, 0.0)
    return MatsubaraSetup(float(temperature), wn, lam, kp, km, z_normal, coulomb,
                          float(mu_star), mu_eff, omega_c, omega_ph, rescale_mu)
