"""
STS: a real NIS spectrum and a field map (EuS/Al)
=================================================

Planar normal-metal/insulator/superconductor junctions on EuS/Al bilayers (Maiani et
al., MIT licence), measured at 40 mK with a lock-in: the exchange field of the EuS
splits the Al coherence peaks. We remove the thermal broadening from one spectrum
with ``specinv sts deconvolve`` and then deconvolve a whole magnetic-field sweep as a
map with ``specinv sts deconvolve-map``.

The published Usadel fit of this spectrum gives Δ = 0.289 meV and an exchange field
h = 0.125 meV, so spin-split peaks near Δ ± h ≈ 0.16 and 0.41 meV.
"""

import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from specinv.cli.main import main
from specinv.io.datasets import data_root

root = data_root()
folder = root / "maiani_nis_al_eus" if root is not None else None
HAVE_DATA = folder is not None and folder.is_dir()
if not HAVE_DATA:
    print("NOTE: the third-party data (maiani_nis_al_eus) were not found; set "
          "SPECINV_DATA to run this example. Nothing below is computed.")
out = Path(tempfile.mkdtemp())

# %%
# One spectrum
# ------------
# Two columns, bias in mV and dI/dV; 40 mK is k_B T = 3.4 µeV, and the 10 µV bias
# step suggests a lock-in amplitude of that order (here 5 µV rms). At this temperature
# the kernel is barely wider than the bias step, so the DOS is close to the
# normalized conductance; the verdict still inspects the fit and warns when the
# residuals have structure (the JSON's ``check`` and ``--plot`` show where).
if HAVE_DATA:
    curve = folder / "pyusadel_example_nsts_data.dat"
    code = main(["sts", "deconvolve", str(curve), "--temperature", "0.04",
                 "--lockin-rms", "0.005", "--output", str(out / "dos.csv")])
    dos = np.loadtxt(out / "dos.csv", delimiter=",", skiprows=1)
    data = np.loadtxt(curve)
    meta = json.loads((out / "dos.json").read_text())
    print("exit code", code, "| coherence peaks (meV):", meta["peaks_meV"])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(data[:, 0], data[:, 1] / np.median(data[np.abs(data[:, 0]) > 1.5, 1]), ".",
            ms=3, label="dI/dV (normalized)")
    ax.plot(dos[:, 0], dos[:, 1] / np.median(dos[np.abs(dos[:, 0]) > 1.5, 1]),
            label="recovered DOS")
    ax.set_xlabel("energy / bias (meV / mV)")
    ax.set_xlim(-1, 1)
    ax.legend()
    fig.tight_layout()

# %%
# A field sweep as a map
# ----------------------
# The file holds 201 in-plane fields × 201 biases. Every 20th field becomes one
# "pixel" of a (ny, nx, n_bias) grid. ``deconvolve-map`` defaults to the batched
# NNRS (one small network per pixel, all trained together: the method for large
# grids); for eleven spectra MaxEnt pixel by pixel is faster. The map reports the
# positive coherence peak of each pixel: the superconducting gap closes as the
# in-plane field grows past ~80 mT.
if HAVE_DATA:
    raw = np.loadtxt(folder / "NIS_data" / "MDC004.Sample1" / "15.dat", skiprows=1)
    field, bias_v, cond = raw[:, 0].reshape(201, 201), raw[:, 1], raw[:, 2]
    bias_mv = bias_v.reshape(201, 201)[0] * 1e3
    order = np.argsort(bias_mv)
    grid = cond.reshape(201, 201)[::20][:, order][:, None, :]  # (11, 1, 201)
    np.savez(out / "sweep.npz", bias_mV=bias_mv[order], didv=grid)
    code = main(["sts", "deconvolve-map", str(out / "sweep.npz"), "--temperature", "0.04",
                 "--lockin-rms", "0.005", "--method", "maxent", "--workers", "1",
                 "--output", str(out / "map.npz")])
    res = np.load(out / "map.npz")
    fields_mt = field[::20, 0] * 1e3
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.pcolormesh(res["energy_meV"], fields_mt, res["dos"][:, 0, :], shading="nearest")
    ax.plot(res["gap_map_meV"][:, 0], fields_mt, "w.", label="positive peak")
    ax.set_xlim(-0.8, 0.8)
    ax.set_xlabel("energy (meV)")
    ax.set_ylabel("in-plane field (mT)")
    ax.legend(loc="upper right")
    fig.tight_layout()
    print("exit code", code)
