"""
Conductivity from imaginary-time current correlations
=====================================================

The seed-003 setting: the current correlator Λ_T(τ) at ten temperatures
T = 0.1 … 1.0 (dimensionless units), 200 τ points each, from an optical conductivity
that is a mixture of three Drude terms with γ_i(T) = γ_0i + γ_1i T². We write one
such mixture by hand (not drawn by the training generator), compute its exact Λ(τ)
and let ``specinv conductivity predict`` recover σ_T(ω): the shipped network
proposes the Drude labels and a least-squares fit through the exact kernel refines
them.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from specinv.ac.conductivity.data import EVAL_OMEGA, TEMPERATURES, lambda_inputs, sigma_on_mesh
from specinv.cli.main import main

# labels per Drude term: weight α_i, γ_0i, γ_1i  (weights sum to 1)
labels = np.array([[[0.5, 2.0, 1.0],
                    [0.3, 0.25, 0.05],
                    [0.2, 0.03, 3.0]]])
out = Path(tempfile.mkdtemp())
np.savez(out / "lambda.npz", x=lambda_inputs(labels))

# %%
# Predict σ_T(ω)
# --------------
# The input is exact, while the verdict weighs the fit with the default relative error
# of 1e-3 (``--rel-noise``): it fits far better than that and the verdict warns, as
# it should for error bars much larger than the misfit.
main(["conductivity", "predict", str(out / "lambda.npz"), "--output", str(out / "sigma.csv")])
table = np.loadtxt(out / "sigma.csv", delimiter=",", skiprows=1)
truth = sigma_on_mesh(labels)[0]  # (10, n_omega)

# %%
# Compare at three temperatures
# -----------------------------
fig, ax = plt.subplots(figsize=(6, 3.5))
for k, color in zip((0, 4, 9), ("C0", "C1", "C2"), strict=True):
    rows = table[:, 1] == TEMPERATURES[k]
    ax.plot(EVAL_OMEGA, truth[k], color=color, lw=2, alpha=0.5)
    ax.plot(table[rows, 2], table[rows, 3], "--", color=color, label=f"T = {TEMPERATURES[k]:.1f}")
ax.set_xlabel("ω")
ax.set_ylabel("σ_T(ω)")
ax.set_yscale("log")
ax.set_title("solid: exact, dashed: recovered")
ax.legend()
fig.tight_layout()
