"""
Eliashberg: T_c, gap and tunneling DOS of niobium
=================================================

The Eliashberg function α²F(Ω) of bcc Nb computed with EPW (IsoME.jl test data, MIT
licence): energies in THz, one α²F column per smearing (we use the 15th, as IsoME's own
test does). From it: the coupling λ, ω_log, T_c from the linearized gap equation and
from Allen–Dynes, then the real-axis gap Δ(ω) and the tunneling DOS at 1 K.
Experiment: T_c = 9.25 K, Δ₀ ≈ 1.55 meV.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from specinv.cli.main import main
from specinv.io.datasets import data_root

root = data_root()
a2f = root / "isome_nb_a2f" / "Nb.a2F" if root is not None else None
HAVE_DATA = a2f is not None and a2f.is_file()
if not HAVE_DATA:
    print("NOTE: the third-party data (isome_nb_a2f) were not found; set SPECINV_DATA "
          "to run this example. Nothing below is computed.")
out = Path(tempfile.mkdtemp())
common = [str(a2f), "--unit", "THz", "--column", "15", "--mu-star", "0.12"]

# %%
# T_c and the moments of α²F
# --------------------------
if HAVE_DATA:
    main(["eliashberg", "tc", *common])

# %%
# The gap on the real axis and the DOS at 1 K
# -------------------------------------------
# The exact real-axis iteration (the default ``--method realaxis``); the DOS
# ``N(ω) = Re[ω/√(ω² − Δ(ω)²)]`` shows the coherence peak at Δ₀ and the phonon
# structure above it that tunneling experiments use to extract α²F.
if HAVE_DATA:
    main(["eliashberg", "solve", *common, "--temperature", "1", "--omega-max", "40",
          "--output", str(out / "gap.csv")])
    gap = np.genfromtxt(out / "gap.csv", delimiter=",", names=True)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax0.plot(gap["omega_meV"], gap["re_delta_meV"], label="Re Δ")
    ax0.plot(gap["omega_meV"], gap["im_delta_meV"], label="Im Δ")
    ax0.set_xlabel("ω (meV)")
    ax0.set_ylabel("Δ(ω) (meV)")
    ax0.legend()
    ax1.plot(gap["omega_meV"], gap["dos"])
    ax1.set_xlim(0, 40)
    ax1.set_ylim(0, 3)
    ax1.set_xlabel("ω (meV)")
    ax1.set_ylabel("N(ω)/N(0)")
    fig.tight_layout()
