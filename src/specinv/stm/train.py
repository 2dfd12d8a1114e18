"""Training of the impurity detector on Friedel maps (seed 004).

Loss = cross entropy on simulated Friedel tiles (Eq. 2) + ``alpha`` × entropy of the
predictions on unlabeled maps (Eq. 4, the confidence regularizer), with white-noise
augmentation of width ``eta`` on the simulated inputs. After training, the detection
threshold on ``S`` is chosen on held-out noisy Friedel maps (or on labelled
calibration maps the caller supplies).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from specinv.core.errors import InputError
from specinv.learning.training import TrainConfig, fit, seed_everything
from specinv.stm.detector import Detector
from specinv.stm.evaluate import choose_threshold
from specinv.stm.friedel import FriedelConfig, training_batch
from specinv.stm.model import build_model, cross_entropy, prediction_entropy
from specinv.stm.randomized import RandomizedConfig, labelled_batch, randomized_tile
from specinv.stm.tiling import bin_biases
from specinv.stm.tmatrix_tiles import TMatrixTileConfig, tmatrix_tile
from specinv.stm.train_guard import StartPoint, distillation, guarded_score, validation_losses


@dataclass
class TrainSettings:
    """Everything that defines a training run (recorded next to the weights).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    kind : {"attention", "cnn"}
        Network.
    model : dict
        Network hyperparameters (see :mod:`specinv.stm.model`).
    friedel : FriedelConfig
        Training simulator (``noise_eta`` is the augmentation width).
    noise : bool
        White-noise augmentation on/off.
    alpha : float
        Weight of the confidence regularizer (used only with unlabeled maps).
    batch, unlabeled_batch : int
        Simulated tiles and unlabeled tiles per step.
    n_bias_range : (int, int)
        Number of bias maps per batch drawn in this range (inclusive).
    epochs, steps_per_epoch : int
        Most epochs and optimizer steps per epoch.
    lr : float
        Adam learning rate.
    seed : int
        Seed of initialization, simulated batches and validation tiles.
    n_val : int
        Held-out Friedel tiles (noisy, η = ``friedel.noise_eta``) for the validation
        loss and the threshold.
    max_bias : int
        Unlabeled maps are averaged to at most this many bias groups before tiles
        are drawn from them. (Detection has its own bound,
        :data:`~specinv.stm.detector.MAX_BIAS`.)
    p_randomized : float
        Fraction of each batch drawn from the domain-randomized simulator
        (:mod:`~specinv.stm.randomized`) instead of the Friedel one.
    randomized : RandomizedConfig
        Ranges of that simulator.
    n_val_randomized : int
        Held-out randomized tiles; when positive, the monitored validation loss (early
        stopping, best epoch kept) is the mean of the Friedel and the randomized
        validation losses, so that the kept epoch neither forgets the Friedel tiles nor
        misses the randomized forms.
    p_tmatrix : float
        Fraction of each batch drawn from the T-matrix tiles with surface and subsurface
        scatterers (:mod:`~specinv.stm.tmatrix_tiles`).
    tmatrix : TMatrixTileConfig
        Ranges of those tiles.
    n_val_tmatrix : int
        Held-out T-matrix tiles; when positive, their validation loss joins the mean
        that is monitored (Friedel, randomized when used, T-matrix, equal weights).
    n_val_long : int
        Held-out Friedel tiles with ``long_n_bias`` biases (η = ``friedel.noise_eta``);
        when positive, their validation loss joins the mean too.
    long_n_bias : int
        Biases of those tiles (the seed's Au(111) maps have 126).
    distill : float
        Fine-tuning only: weight of the Kullback–Leibler divergence of the network's
        predictions on each batch's Friedel tiles from those of the starting network
        (frozen), so that the Friedel behaviour is kept while other families are learned.
    guard : bool
        Fine-tuning only: the monitored score is the mean validation loss plus
        ``GUARD_PENALTY`` × every excess of a guarded loss (``GUARDED``) over the
        starting network's; the starting network itself is a candidate, kept when no
        epoch scores better (:mod:`~specinv.stm.train_guard`).
    """

    kind: str = "attention"
    model: dict = field(default_factory=dict)
    friedel: FriedelConfig = field(default_factory=FriedelConfig)
    noise: bool = True
    alpha: float = 0.03
    batch: int = 16
    unlabeled_batch: int = 8
    n_bias_range: tuple[int, int] = (8, 16)
    epochs: int = 10
    steps_per_epoch: int = 100
    lr: float = 2e-3
    seed: int = 0
    n_val: int = 200
    max_bias: int = 32
    p_randomized: float = 0.0
    randomized: RandomizedConfig = field(default_factory=RandomizedConfig)
    n_val_randomized: int = 0
    p_tmatrix: float = 0.0
    tmatrix: TMatrixTileConfig = field(default_factory=TMatrixTileConfig)
    n_val_tmatrix: int = 0
    n_val_long: int = 0
    long_n_bias: int = 126
    distill: float = 0.0
    guard: bool = False

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value, ``friedel`` as a dict.
        """
        d = asdict(self)
        d["friedel"] = self.friedel.to_dict()
        d["randomized"] = self.randomized.to_dict()
        d["tmatrix"] = self.tmatrix.to_dict()
        return d


def unlabeled_tiles(maps: Sequence[np.ndarray], tile: int, n: int, n_bias: int,
                    rng: np.random.Generator, max_bias: int = 32) -> np.ndarray:
    """Random ``tile × tile`` crops with ``n_bias`` sorted random bias maps.

    Parameters
    ----------
    maps : sequence of ndarray of shape (n_bias_i, H_i, W_i)
        Unlabeled map stacks.
    tile : int
        Tile side (pixels).
    n : int
        Number of crops.
    n_bias : int
        Bias maps per crop (drawn with replacement when a stack has fewer).
    rng : numpy.random.Generator
        Source of randomness.
    max_bias : int
        Not used by this function: :func:`train_detector` bins the stacks to
        ``max_bias`` groups before calling it.

    Returns
    -------
    ndarray of shape (n, n_bias, tile, tile), float32
        The crops.
    """
    out = np.empty((n, n_bias, tile, tile), np.float32)
    for i in range(n):
        m = maps[int(rng.integers(len(maps)))]
        nb, H, W = m.shape
        if H < tile or W < tile:
            raise InputError(f"unlabeled map of {H} x {W} pixels is smaller than one tile")
        sel = np.sort(rng.choice(nb, size=n_bias, replace=nb < n_bias))
        r, c = rng.integers(0, H - tile + 1), rng.integers(0, W - tile + 1)
        out[i] = m[sel, r:r + tile, c:c + tile]
    return out


def _validation_set(s: TrainSettings) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng([s.seed, 10**6])
    return training_batch(rng, s.friedel, s.n_val, n_bias=s.friedel.n_bias, noise=True)


def _extra_validation(s: TrainSettings) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Held-out randomized and T-matrix tiles (those with a positive count)."""
    out = {}
    if s.n_val_randomized > 0:
        x, y, _ = labelled_batch(randomized_tile, np.random.default_rng([s.seed, 10**6 + 1]),
                                 s.randomized, s.n_val_randomized, s.friedel.n_bias)
        out["randomized"] = torch.from_numpy(x), torch.from_numpy(y)
    if s.n_val_tmatrix > 0:
        x, y, _ = labelled_batch(tmatrix_tile, np.random.default_rng([s.seed, 10**6 + 2]),
                                 s.tmatrix, s.n_val_tmatrix, s.friedel.n_bias)
        out["tmatrix"] = torch.from_numpy(x), torch.from_numpy(y)
    if s.n_val_long > 0:
        x, y, _ = training_batch(np.random.default_rng([s.seed, 10**6 + 3]), s.friedel,
                                 s.n_val_long, n_bias=s.long_n_bias, noise=True)
        out["friedel_long"] = torch.from_numpy(x), torch.from_numpy(y)
    return out


def _threshold(det: Detector, calibration: tuple | None, val: tuple[np.ndarray, list],
               n_val: int) -> tuple[float, dict, str]:
    """Score threshold of ``det``: from the calibration maps when given, else from the
    validation tiles ``val`` (maps, impurity positions); returns the threshold, its scores
    and where it came from."""
    if calibration is not None:
        thr, sc = choose_threshold(det, calibration[0], calibration[1])
        return thr, sc, "calibration maps"
    xv, pv = val
    thr, sc = choose_threshold(det, list(xv), pv)
    return thr, sc, f"{n_val} held-out noisy Friedel tiles"


def _counts(s: TrainSettings) -> tuple[int, int, int]:
    """Friedel, randomized and T-matrix tiles per step."""
    n_r = int(round(s.batch * s.p_randomized))
    n_t = int(round(s.batch * s.p_tmatrix))
    return s.batch - n_r - n_t, n_r, n_t


def _simulated_batch(s: TrainSettings, rng: np.random.Generator, nb: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Labelled tiles of one step: Friedel first, a fraction ``p_randomized`` randomized and
    a fraction ``p_tmatrix`` T-matrix tiles."""
    n_f, n_r, n_t = _counts(s)
    x, y, _ = training_batch(rng, s.friedel, n_f, n_bias=nb, noise=s.noise)
    if n_r:
        xr, yr, _ = labelled_batch(randomized_tile, rng, s.randomized, n_r, nb)
        x, y = np.concatenate([x, xr]), np.concatenate([y, yr])
    if n_t:
        xt, yt, _ = labelled_batch(tmatrix_tile, rng, s.tmatrix, n_t, nb)
        x, y = np.concatenate([x, xt]), np.concatenate([y, yt])
    return x, y


def _step_loss(s: TrainSettings, model: torch.nn.Module, unl: list[np.ndarray],
               teacher: torch.nn.Module | None) -> Callable[[int], torch.Tensor]:
    """Loss of one optimizer step: cross entropy on a fresh simulated batch, plus the
    distillation term on its Friedel tiles (with a ``teacher``) and the confidence
    regularizer on unlabeled tiles (when ``unl`` holds maps)."""
    n_f = _counts(s)[0]

    def step_loss(step: int) -> torch.Tensor:
        rng = np.random.default_rng([s.seed, step])
        nb = int(rng.integers(s.n_bias_range[0], s.n_bias_range[1] + 1))
        x, y = (torch.from_numpy(a) for a in _simulated_batch(s, rng, nb))
        scores = model(x)
        loss = cross_entropy(scores, y)
        if teacher is not None:
            loss = loss + s.distill * distillation(teacher, x, scores, n_f)
        if unl:
            xu = unlabeled_tiles(unl, s.friedel.tile, s.unlabeled_batch, nb, rng, s.max_bias)
            loss = loss + s.alpha * prediction_entropy(model(torch.from_numpy(xu)))
        return loss

    return step_loss


def train_detector(settings: TrainSettings, *, unlabeled: Sequence[np.ndarray] | None = None,
                   calibration: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None,
                   eval_fn: Callable[[Detector], dict] | None = None,
                   progress: bool = False, checkpoint: str | None = None,
                   time_limit_s: float | None = None,
                   init: torch.nn.Module | None = None) -> tuple[Detector, dict]:
    """Train a detector network and choose its threshold.

    Parameters
    ----------
    settings : TrainSettings
        The training recipe.
    unlabeled : sequence of ndarray of shape (n_bias, H, W), optional
        Maps for the confidence regularizer (the "experimental" maps); ignored if
        ``settings.alpha == 0``.
    calibration : (maps, truths), optional
        Labelled maps for the threshold instead of held-out Friedel tiles.
    eval_fn : callable, optional
        ``eval_fn(detector) -> dict`` added to each epoch's record (e.g. recall on
        validation-simulator maps, for the Fig. 4 curves).
    progress : bool
        Show a progress bar.
    checkpoint : str, optional
        Checkpoint file (training resumes from it).
    time_limit_s : float, optional
        Wall-time limit of the training (s).
    init : torch.nn.Module, optional
        Network to start from (fine-tuning; e.g. the shipped detector's) instead of a
        new one built from ``settings``.

    Returns
    -------
    detector : Detector
        The trained detector with its chosen threshold.
    history : dict
        Per-epoch records, settings, threshold choice, wall time.
    """
    seed_everything(settings.seed)
    t0 = time.perf_counter()
    model = init if init is not None else build_model(settings.kind, **settings.model)
    fr = settings.friedel
    use_reg = settings.alpha > 0 and unlabeled is not None and len(unlabeled) > 0
    unl = [bin_biases(np.asarray(m, np.float32), settings.max_bias) for m in unlabeled] \
        if use_reg else []
    xv, yv, pv = _validation_set(settings)
    val = (torch.from_numpy(xv), torch.from_numpy(yv))
    val_extra = _extra_validation(settings)
    start = (StartPoint(model, settings.guard, settings.distill, val, val_extra)
             if init is not None and (settings.guard or settings.distill > 0) else None)
    det = Detector(model, tile=fr.tile, kf_range=fr.kf0_range,
                   min_bias=min(4, settings.n_bias_range[0]))
    step_loss = _step_loss(settings, model, unl, start.teacher if start else None)

    def validate() -> dict:
        rec = validation_losses(model, val, val_extra)
        if start is not None and settings.guard:
            rec.update(guarded_score(rec, start.reference))
        if eval_fn is not None:
            rec.update(eval_fn(det))
        return rec

    guarded = start is not None and settings.guard
    cfg = TrainConfig(epochs=settings.epochs, steps_per_epoch=settings.steps_per_epoch,
                      lr=settings.lr, monitor="val_score" if guarded else "val_loss",
                      mode="min", progress=progress, checkpoint=checkpoint,
                      time_limit_s=time_limit_s, restore_best=eval_fn is None)
    history = fit(model, step_loss, config=cfg, validate=validate)
    if start is not None:
        history.update(start.finish(model, history))
    model.eval()
    thr, sc, source = _threshold(det, calibration, (xv, pv), settings.n_val)
    det.threshold = thr
    history.update(settings=settings.to_dict(), threshold=thr, threshold_scores=sc,
                   threshold_source=source, regularized=use_reg,
                   n_unlabeled_maps=len(unl), total_wall_time_s=time.perf_counter() - t0)
    det.metadata = {k: v for k, v in history.items() if k != "config"}
    return det, history


def settings_variant(base: TrainSettings, **changes: object) -> TrainSettings:
    """Copy of ``base`` with fields replaced (``friedel`` may be a dict of changes).

    Parameters
    ----------
    base : TrainSettings
        Settings to copy.
    **changes
        Field values to replace; ``friedel`` as a dict changes only those simulator fields.

    Returns
    -------
    TrainSettings
        The variant.
    """
    fr = changes.pop("friedel", None)
    s = replace(base, **changes)  # type: ignore[arg-type]
    if isinstance(fr, dict):
        s = replace(s, friedel=replace(s.friedel, **fr))
    return s
