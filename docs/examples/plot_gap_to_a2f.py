"""
Gap → α²F: the inverse Eliashberg problem
=========================================

A superconducting gap function Δ(ω) carries the phonon spectrum that made it. We
build a two-peak α²F by hand, let the Eliashberg engine compute its real-axis gap at
1.16 K, and ask the shipped network ensemble to recover α²F from the gap alone. The
command re-solves the Eliashberg equations with the prediction and reports how well
it reproduces the input gap; ``--refine`` then fits the shape to the gap through the
exact forward model.
"""

import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from specinv.cli.main import main

out = Path(tempfile.mkdtemp())
omega = np.linspace(0.01, 10.0, 500)
a2f = 0.9 * np.exp(-((omega - 3.0) / 0.6) ** 2) + 0.5 * np.exp(-((omega - 7.0) / 0.9) ** 2)
a2f *= np.clip(omega / 1.5, 0, 1) ** 2  # α²F ∝ Ω² at low energy (Debye)
np.savetxt(out / "a2f.dat", np.column_stack([omega, a2f]), header="omega_meV a2f")

# %%
# The gap the engine computes from it
# -----------------------------------
main(["eliashberg", "solve", str(out / "a2f.dat"), "--mu-star", "0.1", "--temperature",
      "1.16", "--output", str(out / "gap.csv")])

# %%
# α²F from the gap alone
# ----------------------
main(["eliashberg", "invert", str(out / "gap.csv"), "--output", str(out / "pred.csv"),
      "--allow-fail"])
main(["eliashberg", "invert", str(out / "gap.csv"), "--refine", "--output",
      str(out / "refined.csv"), "--allow-fail"])
pred = np.genfromtxt(out / "pred.csv", delimiter=",", names=True)
refined = np.genfromtxt(out / "refined.csv", delimiter=",", names=True)
gap = np.genfromtxt(out / "gap.csv", delimiter=",", names=True)
print("λ true:", json.loads((out / "gap.json").read_text()).get("lambda"))

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.5))
ax0.plot(gap["omega_meV"], gap["re_delta_meV"], label="Re Δ")
ax0.plot(gap["omega_meV"], gap["im_delta_meV"], label="Im Δ")
ax0.set_xlabel("ω (meV)")
ax0.set_ylabel("Δ(ω) (meV)")
ax0.set_title("input: the gap function")
ax0.legend()
ax1.plot(omega, a2f, "k", lw=2, label="true α²F")
ax1.plot(pred["omega_meV"], pred["a2f"], label="network")
if "a2f_std" in pred.dtype.names:
    ax1.fill_between(pred["omega_meV"], pred["a2f"] - pred["a2f_std"],
                     pred["a2f"] + pred["a2f_std"], alpha=0.3)
ax1.plot(refined["omega_meV"], refined["a2f"], label="refined")
ax1.set_xlabel("Ω (meV)")
ax1.set_ylabel("α²F(Ω)")
ax1.legend()
fig.tight_layout()
