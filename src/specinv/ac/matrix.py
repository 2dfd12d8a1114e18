"""Matrix-valued continuation: A(ω) of a k×k Green's function, positive semidefinite.

``G(z) = ∫ A(ω)/(z − ω) dω`` with a Hermitian, positive-semidefinite A(ω). Every
projection ``G_v = v† G v`` on a unit vector v is a scalar Green's function with the
non-negative spectrum ``A_v = v† A v``, so each is continued with the scalar machinery
(MaxEnt by default):

- diagonal elements: ``v = e_a`` gives A_aa;
- off-diagonal elements (the auxiliary-function trick): ``v = (e_a + e_b)/√2`` gives
  ``(A_aa + A_bb)/2 + Re A_ab`` and ``v = (e_a + i e_b)/√2`` gives
  ``(A_aa + A_bb)/2 − Im A_ab`` (skipped, Im A_ab = 0, when the data's G_ab and G_ba
  agree within the errors: a real-symmetric problem).

All continuations share one real-frequency mesh (the widest automatic window of the
diagonal elements). Separately regularized elements need not form a positive
semidefinite matrix at every ω: :func:`continue_matrix` reports the minimum eigenvalue
of the assembled A(ω) and projects each A(ω) onto the positive-semidefinite cone
(negative eigenvalues set to zero), reporting the size of that correction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specinv.io.hdf5 import GfArrays
from specinv.io.qmc import ContinuationInput


@dataclass
class MatrixResult:
    """A(ω) of a matrix-valued function and the scalar continuations behind it.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    omega : ndarray of shape (m,)
        Real frequencies (energy unit).
    edges : ndarray of shape (m + 1,)
        Cell edges of the mesh.
    spectrum : ndarray of shape (m, k, k), complex
        Hermitian, positive-semidefinite A(ω) (after projection).
    min_eigenvalue : float
        Smallest eigenvalue of the assembled A(ω) over all ω, before projection.
    projection : float
        ``max_ω ‖A − A_psd‖ / max_ω ‖A‖`` (spectral norms): the relative correction.
    parts : dict
        ``name -> (setup, result)`` of every scalar continuation (``"0,0"``,
        ``"0,1+"``, ``"0,1i"``, ...).
    check : Check
        The worst check of the parts, with the positivity figures added.
    notes : list of str
        Remarks for the user.
    """

    omega: np.ndarray
    edges: np.ndarray
    spectrum: np.ndarray
    min_eigenvalue: float
    projection: float
    parts: dict[str, tuple[Any, Any]]
    check: Any
    notes: list[str] = field(default_factory=list)


def _projection(gf: GfArrays, v: np.ndarray) -> ContinuationInput:
    """``v† G v`` (and its error) as scalar continuation input."""
    g = np.einsum("a,nab,b->n", v.conj(), gf.data, v)
    err = None
    if gf.error is not None:
        w = np.abs(np.outer(v.conj(), v)) ** 2
        err = np.sqrt(np.einsum("ab,nab->n", w, gf.error**2))
    if gf.axis == "tau":
        return ContinuationInput(gf.points, g.real.copy(), None, err, False, gf.source)
    return ContinuationInput(gf.points, g.real.copy(), g.imag.copy(), err, False, gf.source)


def _symmetric(gf: GfArrays, a: int, b: int) -> bool:
    """G_ab = G_ba within the errors: Im A_ab vanishes (a real-symmetric problem).

    With error bars: the mean of ``|G_ab − G_ba|²/(2(σ_ab² + σ_ba²))`` is ~1 for pure
    noise (χ² with 2n degrees of freedom); above ``1 + 4/√n`` the difference is real.
    Without: equal to 1e-10 of the largest |G|.
    """
    diff = np.abs(gf.data[:, a, b] - gf.data[:, b, a])
    if gf.error is None:
        return bool(np.all(diff <= 1e-10 * np.max(np.abs(gf.data))))
    var = 2 * (gf.error[:, a, b] ** 2 + gf.error[:, b, a] ** 2)
    stat = np.mean(diff**2 / np.maximum(var, np.finfo(float).tiny))
    return bool(stat <= 1 + 4 / np.sqrt(diff.size))


def psd_project(spectrum: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Nearest positive-semidefinite matrices (Frobenius norm) at every ω.

    Parameters
    ----------
    spectrum : ndarray of shape (m, k, k), complex
        Hermitian matrices.

    Returns
    -------
    projected : ndarray of shape (m, k, k), complex
        Negative eigenvalues set to zero.
    min_eigenvalue : float
        Smallest eigenvalue before projection.
    relative : float
        Largest spectral norm of the correction over the largest norm of A.
    """
    h = 0.5 * (spectrum + np.conj(np.swapaxes(spectrum, 1, 2)))
    lam, vec = np.linalg.eigh(h)
    fixed = np.einsum("mab,mb,mcb->mac", vec, np.clip(lam, 0.0, None), vec.conj())
    top = float(np.max(np.abs(lam))) or 1.0
    return fixed, float(lam.min()), float(np.max(np.abs(np.clip(lam, None, 0.0)))) / top


def _element(run: Any, parts: dict, eye: np.ndarray, a: int, b: int,
             phase: complex) -> tuple[np.ndarray, None]:
    """``(A_v₊ − A_v₋)/2`` with ``v± = (e_a ± phase·e_b)/√2``: Re A_ab (phase 1) or −Im A_ab
    (phase i); the two auxiliary spectra share the diagonal part, which cancels."""
    tag = "+" if phase == 1.0 else "i"
    plus = run((eye[a] + phase * eye[b]) / np.sqrt(2), None)
    minus = run((eye[a] - phase * eye[b]) / np.sqrt(2), None)
    parts[f"{a},{b}{tag}+"], parts[f"{a},{b}{tag}-"] = plus, minus
    return 0.5 * (plus[1].spectrum - minus[1].spectrum), None


def continue_matrix(gf: GfArrays, beta: float, *, method: str = "maxent",
                    options: dict[str, Any] | None = None, omega_max: float | None = None,
                    n_omega: int | None = None) -> MatrixResult:
    """Continue every element of a matrix G(τ) or G(iω_n) and assemble a PSD A(ω).

    Parameters
    ----------
    gf : GfArrays
        Matrix data (n, k, k) on the τ or Matsubara axis, with optional errors.
    beta : float
        Inverse temperature (1/energy unit).
    method : str
        Registered solver for every scalar continuation.
    options : dict, optional
        Solver options.
    omega_max : float, optional
        Window half-width; default the widest automatic window of the diagonal elements.
    n_omega : int, optional
        Real-frequency points.

    Returns
    -------
    MatrixResult
        A(ω) (k×k per ω), positivity figures and the parts' continuations.
    """
    from specinv.ac.continuation import continue_data
    from specinv.core.check import NEGATIVITY_TOL

    kernel = "fermionic-tau" if gf.axis == "tau" else "fermionic-matsubara"
    k = gf.data.shape[1]
    eye = np.eye(k, dtype=complex)

    def run(v: np.ndarray, w: float | None) -> tuple[Any, Any]:
        return continue_data(_projection(gf, v), kernel, beta, method=method,
                             options=options, omega_max=w or omega_max, n_omega=n_omega)

    parts: dict[str, tuple[Any, Any]] = {}
    if omega_max is None:  # the widest automatic window of the diagonal elements
        omega_max = max(run(eye[a], None)[0].omega_max for a in range(k))
    for a in range(k):
        parts[f"{a},{a}"] = run(eye[a], omega_max)
    mesh = parts["0,0"][1].mesh
    spec = np.zeros((mesh.size, k, k), dtype=complex)
    for a in range(k):
        spec[:, a, a] = parts[f"{a},{a}"][1].spectrum
    notes: list[str] = []
    for a in range(k):
        for b in range(a + 1, k):
            re, im = _element(run, parts, eye, a, b, 1.0)
            if not _symmetric(gf, a, b):
                im = -_element(run, parts, eye, a, b, 1j)[0]
            else:
                im = np.zeros_like(re)
            spec[:, a, b], spec[:, b, a] = re + 1j * im, re - 1j * im
    fixed, lam_min, rel = psd_project(spec)
    check = max((r.check for _, r in parts.values()),
                key=lambda c: ("ok", "warn", "fail").index(c.verdict))
    level = "warn" if rel > NEGATIVITY_TOL else "ok"
    check.add(level, f"the assembled A(ω) had a minimum eigenvalue {lam_min:.3g} ({rel:.1%} "
                     "of the largest); projected onto the positive-semidefinite matrices",
              min_eigenvalue=lam_min, psd_correction=rel)
    if gf.flipped:
        notes.append("input had the opposite sign convention (G > 0); it was flipped to the "
                     "physical G(τ) ≤ 0 / Im G(iω_n) < 0")
    notes.append(f"{len(parts)} scalar continuations on one mesh (ω ∈ ±{omega_max:.4g}); "
                 f"minimum eigenvalue of A(ω) before projection {lam_min:.3g}")
    return MatrixResult(mesh.points, mesh.edges, fixed, lam_min, rel, parts, check, notes)
