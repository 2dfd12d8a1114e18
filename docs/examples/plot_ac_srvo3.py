"""
Analytic continuation: SrVO₃ G(τ) from QMC
==========================================

The TRIQS/maxent SrVO₃ example (GPL-3.0): a fermionic Green's function G(τ) at
β = 37.5/eV on 500 τ points with error bars 1e-3, and the spectrum ALPS's MaxEnt
obtained from it. ``specinv ac continue`` chooses α at the maximum curvature of
log χ² (``chi2curv``), uses a Gaussian default model from the data's moments and a
window from the data's moments; β and the frequencies are in the data's unit (eV
here). ``--option alpha_rule=posterior --default-model flat`` reproduces ALPS's
choice more closely.
"""

import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from specinv.cli.main import main
from specinv.io.datasets import data_root

root = data_root()
folder = root / "triqs_maxent_srvo3" if root is not None else None
HAVE_DATA = folder is not None and folder.is_dir()
if not HAVE_DATA:
    print("NOTE: the third-party data (triqs_maxent_srvo3) were not found; set "
          "SPECINV_DATA to run this example. Nothing below is computed.")
out = Path(tempfile.mkdtemp())

# %%
# Continue G(τ) to A(ω)
# ---------------------
if HAVE_DATA:
    gtau = folder / "srvo3_G_tau_beta37.5.dat"
    main(["ac", "continue", str(gtau), "--kernel", "fermionic-tau", "--beta", "37.5",
          "--output", str(out / "A.csv")])
    ours = np.loadtxt(out / "A.csv", delimiter=",", skiprows=1)
    alps = np.loadtxt(folder / "srvo3_ALPS_maxspec_reference.dat")
    meta = json.loads((out / "A.json").read_text())
    # L1 distance to the reference on the reference's frequencies
    ref_on_ours = np.interp(ours[:, 0], alps[:, 0], alps[:, 1], left=0.0, right=0.0)
    l1 = np.trapezoid(np.abs(ours[:, 1] - ref_on_ours), ours[:, 0])
    print(f"α = {meta['alpha']:.3f}, L1 distance to ALPS: {l1:.4f}")

# %%
# Compare with ALPS
# -----------------
if HAVE_DATA:
    tau, g = np.loadtxt(gtau, usecols=(0, 1), unpack=True)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax0.plot(tau, g)
    ax0.set_xlabel("τ (1/eV)")
    ax0.set_ylabel("G(τ)")
    ax0.set_title("input")
    ax1.plot(alps[:, 0], alps[:, 1], "k", lw=2, label="ALPS MaxEnt")
    ax1.plot(ours[:, 0], ours[:, 1], label="specinv MaxEnt")
    if ours.shape[1] > 2:
        ax1.fill_between(ours[:, 0], ours[:, 1] - ours[:, 2], ours[:, 1] + ours[:, 2],
                         alpha=0.3, label="reported band")
    ax1.set_xlim(-6, 6)
    ax1.set_xlabel("ω (eV)")
    ax1.set_ylabel("A(ω)")
    ax1.legend()
    fig.tight_layout()
