"""
Which answer do I trust? Verdict, residuals and bands
=====================================================

Every inverted answer comes with a physics check: the answer is sent back through
the exact forward model and compared with the data at the noise level. Here one
simulated tunneling spectrum (Δ = 1.2 meV, Dynes Γ = 0.05 meV, 2 K, 0.1 % noise)
is deconvolved twice: once with the temperature it was measured at, and once with a
deliberately wrong one (6 K) — a kernel broader than the data, which no positive DOS
can undo. The first passes; the second fails, and the command says so with exit
code 3.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from specinv.sts.simulate import simulate_didv
from specinv.sts.workflow import deconvolve

bias = np.linspace(-4, 4, 321)
sim = simulate_didv("dynes", bias, gap=1.2, gamma=0.05, temperature=2.0, noise=1e-3, seed=1)

# %%
# Deconvolve with the right and with a wrong temperature
# ------------------------------------------------------
# MaxEnt with the STS default α rule (historic, χ² = N).
results = {}
for label, temperature in (("T = 2 K (right)", 2.0), ("T = 6 K (wrong)", 6.0)):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, _ = deconvolve(bias, sim.didv, temperature=temperature, method="maxent")
    results[label] = result
    print(f"{label}: verdict {result.check.verdict}")
    for w in caught:
        print("    warning:", w.message)
    for reason in result.check.reasons:
        print("   ", reason)

# %%
# The evidence: fit and normalized residuals
# ------------------------------------------
# Residuals ``(K f − g)/σ`` of a correct answer look like white noise of unit
# width; the wrong kernel leaves a systematic, many-σ pattern at the coherence
# peaks, and the "DOS" it returns is nonsense that no χ² would accept.
fig, axes = plt.subplots(3, 2, figsize=(9, 7), sharex="col")
for col, (label, result) in enumerate(results.items()):
    ax = axes[0, col]
    ax.plot(bias, sim.didv, ".", ms=2, color="gray", label="data")
    ax.plot(bias, result.fitted, label="K f")
    ax.set_title(f"{label}: {result.check.verdict}")
    ax.legend(loc="upper right")
    result.check.plot_residuals(axes[1, col], bias, xlabel="")
    ax = axes[2, col]
    ax.plot(sim.mesh.points, sim.dos, "k", lw=1.5, label="true DOS")
    ax.plot(result.omega, result.spectrum, label="answer")
    ax.set_xlabel("energy (meV)")
    ax.set_xlim(-4, 4)
    ax.legend(loc="upper right")
axes[2, 0].set_ylabel("DOS")
fig.tight_layout()

# %%
# Error bands that were measured
# ------------------------------
# Every solver reports a band on request, ``band="bootstrap"``: it is solved again on
# replicas of the data made from its own answer (``K f̂ + σ ε``), and the raw band is
# ``sqrt(variance + bias²)`` of those answers, so it includes the smoothing of the
# regularization, not only the noise. ``specinv bench calibration`` measured how often
# it covers the truth and fitted two factors per kernel and method, so that
# ``spectrum_std`` is a 68 % band and ``spectrum_band95`` the half-width of a 95 % band
# (each shown only where its held-out coverage was on target); here the share of
# energies where each band holds the true DOS. The factors
# hold on average over the simulated calibration set (0.3-10 K, 81-321 bias points,
# error bars given or estimated), never below the raw band's own Gaussian width; this
# spectrum was not drawn by it. A band is a measured average, not a guarantee for one
# spectrum.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(sim.mesh.points, sim.dos, "k", lw=1.5, label="true DOS")
for method in ("maxent", "tikhonov"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        band, _ = deconvolve(bias, sim.didv, temperature=2.0, method=method,
                             band="bootstrap")
    line, = ax.plot(band.omega, band.spectrum, lw=1, label=method)
    error = np.abs(np.interp(band.omega, sim.mesh.points, sim.dos) - band.spectrum)
    status = band.hyperparameters["band_calibration"]["status"]
    held = []
    for level, width, alpha in (("68 %", band.spectrum_std, 0.3),
                                ("95 %", band.spectrum_band95, 0.12)):
        if width is None:  # its held-out coverage missed its window: not reported
            held.append(f"no {level} band")
            continue
        ax.fill_between(band.omega, band.spectrum - width, band.spectrum + width,
                        color=line.get_color(), alpha=alpha)
        held.append(f"the {level} band holds the true DOS at {np.mean(error <= width):.0%}")
    print(f"{method} ({status}): {', '.join(held)} of the energies; the raw band at "
          f"{np.mean(error <= band.extras['band_std_raw']):.0%}")
ax.set_xlim(-3, 3)
ax.set_xlabel("energy (meV)")
ax.legend(loc="upper right")
fig.tight_layout()

# %%
# On the command line
# -------------------
# The same failure through ``specinv sts deconvolve``: the output is written and
# marked, the verdict line names the problem, and the exit code is 3 (2 is kept for
# user mistakes such as a missing column).
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from specinv.cli.main import main  # noqa: E402
from specinv.io.table import write_table  # noqa: E402

out = Path(tempfile.mkdtemp())
write_table(out / "curve.csv", {"bias_mV": bias, "didv": sim.didv}, {"source": "simulated"})
code = main(["sts", "deconvolve", str(out / "curve.csv"), "--temperature", "6",
             "--output", str(out / "dos.csv")])
print("exit code:", code)
