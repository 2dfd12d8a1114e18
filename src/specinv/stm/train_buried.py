"""Fine-tune the detector for subsurface scatterers (measured, not shipped).

    python -m specinv.stm.train_buried --output STEM [--minutes M] [--start STEM]

Recipe: start from the shipped ensemble (or ``--start``); every batch of 16 tiles
holds 8 Friedel tiles (what the detector was first trained on, so that it keeps its
in-distribution figures), 2 domain-randomized tiles (:mod:`~specinv.stm.randomized`)
and 6 labelled T-matrix tiles (:mod:`~specinv.stm.tmatrix_tiles`) of which half of the
scatterers are subsurface (cut-off 1–3.5 px, no central spike) and half surface
adatoms; the confidence regularizer (α = 0.03) acts on the unlabeled randomized maps
of :func:`~specinv.stm.train_transfer.unlabeled_randomized`; Adam at ``LR``; fixed
epochs; the epoch with the least mean of the held-out Friedel, randomized and
T-matrix validation losses (training-side seeds ``[SEED, 10⁶ + i]``) is kept; the
threshold is chosen on the labelled T-matrix maps of the default recipe
(:data:`~specinv.stm.train_default.CALIBRATION_SEEDS`). The bench's independent
generator is never touched.
"""

from __future__ import annotations

from specinv.stm.train import TrainSettings
from specinv.stm.train_transfer import run_recipe

#: a first run at 3e-4 with 6 Friedel and 4 randomized tiles per batch lost Friedel F1
#: (0.861 < 0.945, see the guide); this one has more Friedel tiles and a lower rate
LR = 2e-4
SEED = 4343
SETTINGS = TrainSettings(kind="ensemble", alpha=0.03, noise=True, epochs=8,
                         steps_per_epoch=100, lr=LR, seed=SEED, p_randomized=0.125,
                         n_val_randomized=200, p_tmatrix=0.375, n_val_tmatrix=200)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m`` this module); see the module docstring.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (0 on success).
    """
    return run_recipe(argv, SETTINGS, "specinv.stm.train_buried", 25.0, __doc__)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
