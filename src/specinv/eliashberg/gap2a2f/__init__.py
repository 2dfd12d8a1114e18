"""Gap function Δ(ω) → Eliashberg function α²F(Ω) by supervised learning (seed 002).

Modules
-------
data
    The seed's "simple" (Gaussian) and "complex" (GBM) sets from the engine's
    builder, input features (Re/Im Δ or the DOS), the 81/9/10 split.
model
    The seed's MLP (400 → 500 → 800 → 1000) with its input/output scalers,
    saved as a small NPZ.
momentloss
    Physics-informed loss term: relative errors of the α²F moments (λ by
    default) in torch, with the physics module's quadrature.
train
    Supervised training (Adam, MSE, validation, early stopping, checkpoints)
    on :func:`specinv.learning.training.fit`, evaluation, ensembles.
autoencoder
    Autoencoder on the concatenated [α²F; Δ] vectors, per-part reconstruction
    errors, AE-transformed data sets.
physics
    Re-solving the Eliashberg equations with a predicted α²F: gap residual,
    λ, ω_log, T_c errors, Pearson differences Δg/Δf.
analysis
    The seed's Table I, Table II (coverage portion) and the moments p = 2, 1, 0, −1.
inference
    Domain checks, interpolation and prediction for user gap files.
"""
