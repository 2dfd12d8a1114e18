"""Fast inference of trained rRIMs: several models evaluated in one pass.

:class:`StackedRRIM` evaluates M trained :class:`~specinv.optics.models.RRIM`
networks (an ensemble, or just one) together. Activations are kept
channels-last and zero-padded along the glue mesh, shape (M, L + k − 1, B, C),
so a width-k "same" convolution is k accumulated matrix products of contiguous
shifted slices (no im2col copy), written into buffers allocated once per call;
small batches use one unfolded product instead (fewer operations). The GRU's
input and memory convolutions are split so each is computed once, and both
write into one accumulator per step (gates, candidate and decoder side by side),
so biases and memory terms are added by the matrix products themselves. Every
tanh is evaluated as 2σ(2v) − 1 (torch's tanh is several times slower than its
sigmoid on CPU), with the factors 2 and the shift folded into the weights: the
encoder output u = tanh(e) is stored as q = σ(2e), and a convolution of u is
one of q with weights 2W and bias b − ΣW. The Landweber gradient uses the
precomputed ``P y`` and ``P A``::

    ∇_t = P (y − A x_t) = P y − (P A) x_t.

The result equals the models' own ``forward`` to float32 rounding (tested); it
is inference only (no autograd). A single spectrum runs with one torch thread
(:func:`specinv.core.threads.compute_threads`), which on a small machine is faster than several.

:class:`KernelBank` holds the scaled kernels and Landweber preconditioners per
temperature that every rRIM pass (training and inference) takes as ``a`` and ``p``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from specinv.optics.models import RRIM, h_feature
from specinv.optics.setup import Y_SCALE, OpticsSetup, landweber_preconditioner

#: batches with at most this many rows (spectra × models) run on one thread
SINGLE_THREAD_ROWS = 64
#: convolutions over at most this many (mesh point, spectrum) rows use one unfolded product
UNFOLD_ROWS = 1000


def _arch(m: RRIM) -> tuple:
    return (m.n_glue, m.hidden, m.temperature_input, m.noise_input)


class StackedRRIM:
    """M trained rRIMs with identical architecture, evaluated together.

    Parameters
    ----------
    models : sequence of RRIM
        Same ``n_glue``, ``hidden``, ``temperature_input`` and ``noise_input``; weights
        are copied.
    """

    def __init__(self, models: Sequence[RRIM]) -> None:
        if not models:
            raise ValueError("StackedRRIM needs at least one model")
        m0 = models[0]
        for m in models:
            if _arch(m) != _arch(m0):
                raise ValueError("all stacked rRIMs must share n_glue, hidden, "
                                 "temperature_input and noise_input")
        self.m, self.h, self.n_glue = len(models), m0.hidden, m0.n_glue
        self.n_steps, self.temperature_input = m0.n_steps, m0.temperature_input
        self.noise_input = m0.noise_input
        self.k = m0.encode[0].weight.shape[-1]
        h = self.h
        #: columns of the per-step accumulator: candidate (h), gates (2h), decoder (1),
        #: padded to a multiple of 8 floats so every row starts aligned
        self.width = -(-(3 * h + 1) // 8) * 8

        with torch.no_grad():
            enc = [m.encode[0] for m in models]
            gru = [m.gru for m in models]

            def total(w: torch.Tensor) -> torch.Tensor:  # conv of a constant 1: Σ over in, taps
                return w.sum(dim=(1, 2))

            # u = tanh(e) = 2σ(2e) − 1 is stored as q = σ(2e); convolutions of u are
            # convolutions of q with weights 2W and bias b − ΣW. The candidate is
            # evaluated the same way: tanh(c) = 2σ(2c) − 1, so its weights and bias double.
            wc_u = [g.cand.weight[:, :h] for g in gru]
            wg_u = [g.gates.weight[:, :h] for g in gru]
            ws = {"enc": [2 * c.weight for c in enc],
                  "u": [torch.cat([4 * a, 2 * b]) for a, b in zip(wc_u, wg_u, strict=True)],
                  "sc": [2 * g.cand.weight[:, h:] for g in gru],
                  "sd": [torch.cat([g.gates.weight[:, h:], m.decode.weight])
                         for g, m in zip(gru, models, strict=True)]}
            self.taps = {key: [list(w.permute(2, 1, 0).contiguous().unbind(0)) for w in wl]
                         for key, wl in ws.items()}  # per model, per tap: (in, out)
            # unfolded: (M, k·in, out), rows ordered (tap, in)
            self.cols = {key: torch.stack([w.transpose(1, 2).reshape(w.shape[0], -1).T
                                           for w in wl]).contiguous()
                         for key, wl in ws.items()}
            self.enc_b = torch.stack([2 * c.bias for c in enc])[:, None]  # (M, 1, h)
            self.cand_b = torch.stack([2 * (g.cand.bias - total(a))
                                       for g, a in zip(gru, wc_u, strict=True)])  # (M, h)
            gate_b = [g.gates.bias - total(b) for g, b in zip(gru, wg_u, strict=True)]
            self.gate_b = torch.stack(gate_b)  # (M, 2h)
            self.sd_b = torch.stack([torch.cat([gb, m.decode.bias])
                                     for gb, m in zip(gate_b, models, strict=True)])[:, None]
        # per call: slices of the buffers for the tap-by-tap products
        self._views: dict[tuple[int, int, int], list] = {}

    def _conv(self, v: torch.Tensor, key: str, out: torch.Tensor,
              first: torch.Tensor | None = None) -> torch.Tensor:
        """'Same' convolution of the padded ``v`` (M, L + k − 1, B, C) into ``out`` (M, L, B, out).

        ``out[i]`` may be a column slice of a wider buffer (rows of stride ≥ out).
        ``first`` is added to the result: a bias (M, 1, out), or a tensor laid out
        like ``out``; ``first is out`` accumulates into ``out``. Small inputs are
        unfolded into one matrix (fewer operations); large ones are multiplied tap by
        tap into ``out`` (no copies, no fresh memory).
        """
        m, lp, bsz, c = v.shape
        n = lp - self.k + 1
        if n * bsz <= UNFOLD_ROWS:
            cols = v.unfold(1, self.k, 1).transpose(3, 4).reshape(m, n * bsz, self.k * c)
            o3 = out.view(m, n * bsz, -1)
            if first is None:
                torch.bmm(cols, self.cols[key], out=o3)
            elif first is out:
                o3.baddbmm_(cols, self.cols[key])
            else:
                init = first if first.dim() == 3 else first.view(m, n * bsz, -1)
                torch.baddbmm(init, cols, self.cols[key], out=o3)
            return out
        key_v = (v.data_ptr(), out.data_ptr(), out.shape[-1])
        views = self._views.get(key_v)
        if views is None:  # the buffers live for one call: slice them once
            views = [(out[i].view(n * bsz, -1),
                      [v[i, j:j + n].view(n * bsz, c) for j in range(self.k)])
                     for i in range(m)]
            self._views[key_v] = views
        for i, ((o, rows), w) in enumerate(zip(views, self.taps[key], strict=True)):
            if first is None:
                torch.mm(rows[0], w[0], out=o)
            elif first is out:
                o.addmm_(rows[0], w[0])
            else:
                init = first[i] if first.dim() == 3 else first[i].view(n * bsz, -1)
                torch.addmm(init, rows[0], w[0], out=o)
            for j in range(1, self.k):
                o.addmm_(rows[j], w[j])
        return out

    def _inputs(self, y: torch.Tensor, a: torch.Tensor, p: torch.Tensor,
                temperature: torch.Tensor | None, h_sample: torch.Tensor | None,
                lp: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """P·y (1, L, B) and P·A ((1 or B), L, L) in the layout (M, L, B), and the padded
        encoder input (M, L + 2·pad, B, n_in) with its constant channels (T/300 K, h) set."""
        m, n, b = self.m, self.n_glue, y.shape[0]
        pad = self.k // 2
        inner = slice(pad, pad + n)
        if p.dim() == 2:
            py = (p @ y.T)[None]  # (1, L, B)
            pa = (p @ a)[None]  # (1, L, L)
        else:
            py = torch.bmm(p, y[:, :, None])[:, :, 0].T[None]
            pa = torch.matmul(p, a)  # (B, L, L); a shared (m, L) or per sample
        n_in = 2 + int(self.temperature_input) + int(self.noise_input)
        # buffers allocated once: padded conv inputs and outputs
        inp = y.new_zeros(m, lp, b, n_in)
        if self.temperature_input:
            if temperature is None:
                raise ValueError("this rRIM needs the temperature of each sample")
            inp[:, inner, :, 2] = (temperature / 300.0).to(y.dtype)[None, None, :]
        if self.noise_input:
            if h_sample is None:
                raise ValueError("this noise-conditioned rRIM needs the Landweber h of "
                                 "each sample")
            inp[:, inner, :, n_in - 1] = h_feature(h_sample).to(y.dtype)[None, None, :]
        return py, pa, inp

    def __call__(self, y: torch.Tensor, a: torch.Tensor, p: torch.Tensor,
                 temperature: torch.Tensor | None = None, n_steps: int | None = None,
                 all_steps: bool = False, h: torch.Tensor | None = None) -> torch.Tensor:
        """Iterates of every model.

        Parameters
        ----------
        y : Tensor of shape (B, n_omega)
            Scaled data ``1/τ / Y_SCALE``.
        a, p : Tensor
            Scaled kernel (n_omega, n_glue) and preconditioner (n_glue, n_omega),
            shared, or per sample with a leading B.
        temperature : Tensor of shape (B,), optional
            K; required by temperature-input models.
        n_steps : int, optional
            Iterations (default: the trained N_t).
        all_steps : bool
            Return every iterate.
        h : Tensor of shape (B,), optional
            Landweber h built into ``p`` per sample; required by noise-input models.

        Returns
        -------
        Tensor
            (B, M, n_glue) final iterate, or (N_t, B, M, n_glue) with ``all_steps``.
        """
        h_sample = h  # the name h is the memory width below
        b, m, h, n = y.shape[0], self.m, self.h, self.n_glue
        pad = self.k // 2
        lp = n + 2 * pad
        inner = slice(pad, pad + n)
        with torch.no_grad():
            py, pa, inp = self._inputs(y, a, p, temperature, h_sample, lp)
            q = y.new_full((m, lp, b, h), 0.5)  # σ(2e): 0.5 in the padding is u = 0
            rs = y.new_empty(m, lp, b, h)
            rs[:, :pad].zero_()
            rs[:, pad + n:].zero_()
            s = y.new_zeros(m, lp, b, h)
            self._views.clear()
            acc = y.new_empty(m, n, b, self.width)
            cand, gates, dec = acc[..., :h], acc[..., h:3 * h], acc[..., 3 * h]
            cu, sd = acc[..., :3 * h], acc[..., h:3 * h + 1]
            # the gates are activated in a contiguous copy: torch's CPU sigmoid is not
            # vectorized over rows as short as 2h = 16 floats (4× slower on a strided view)
            g_act = y.new_empty(m, n, b, 2 * h)
            z, r = g_act[..., :h], g_act[..., h:]
            gates.copy_(self.gate_b[:, None, None, :])  # memory part of the gates: s = 0
            cand_b = self.cand_b[:, None, None, :]
            c_new = y.new_empty(m, n, b, h)
            x = y.new_zeros(m, n, b)
            qi, rsi, si = q[:, inner], rs[:, inner], s[:, inner]
            out = []
            for _ in range(n_steps or self.n_steps):
                if pa.shape[0] == 1:
                    grad = py - pa @ x
                else:  # per sample: ∇[m, l, b] = Py[l, b] − Σ_k PA[b, l, k] x[m, k, b]
                    grad = py - torch.bmm(pa, x.permute(2, 1, 0)).permute(2, 1, 0)
                inp[:, inner, :, 0] = x
                inp[:, inner, :, 1] = grad
                self._conv(inp, "enc", qi, self.enc_b).sigmoid_()
                cand.copy_(cand_b)
                self._conv(q, "u", cu, cu)
                g_act.copy_(gates).sigmoid_()
                torch.mul(r, si, out=rsi)
                # tanh(c) = 2σ(2c) − 1; s ← s + z (tanh(c) − s)
                self._conv(rs, "sc", c_new, cand).sigmoid_().mul_(2.0).sub_(1.0)
                si.lerp_(c_new, z)
                self._conv(s, "sd", sd, self.sd_b)
                x = x + grad + dec
                if all_steps:
                    out.append(x.permute(2, 0, 1))
        return torch.stack(out) if all_steps else x.permute(2, 0, 1)


#: preconditioners kept per (temperature, h) for batches of one noise level
SHARED_CACHE = 32


class KernelBank:
    """Scaled kernels A_T and preconditioners P_T per temperature (float32 torch).

    Per-sample h (noise-conditioned rRIMs) uses the SVD A = U S Vᵀ:
    ``(AᵀA + hI)⁻¹Aᵀ = V diag(s/(s² + h)) Uᵀ``.

    Parameters
    ----------
    setup : OpticsSetup
        Grids of the model.
    h : float
        Landweber regularization of the shared preconditioners (:meth:`get`).
    """

    def __init__(self, setup: OpticsSetup, h: float) -> None:
        self.setup, self.h = setup, h
        self._cache: dict[float, tuple[torch.Tensor, torch.Tensor]] = {}
        self._svd: dict[float, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self._shared: dict[tuple[float, float], torch.Tensor] = {}

    def preconditioners(self, t: float, h: np.ndarray) -> torch.Tensor:
        """P_T for each h; equal h values are built once.

        Parameters
        ----------
        t : float
            Temperature (K).
        h : ndarray of shape (B,)
            Landweber h of each sample (scaled units, > 0).

        Returns
        -------
        Tensor of shape (B, n_glue, n_omega)
            ``(AᵀA + hI)⁻¹Aᵀ`` per sample, float32.
        """
        t = float(t)
        if t not in self._svd:
            a = self.setup.kernel(t).matrix / Y_SCALE
            u, s, vt = np.linalg.svd(a, full_matrices=False)
            self._svd[t] = (torch.as_tensor(vt.T), torch.as_tensor(s), torch.as_tensor(u.T))
        v, s, ut = self._svd[t]
        uniq, inv = np.unique(np.asarray(h, dtype=float), return_inverse=True)
        f = s[None] / (s[None] ** 2 + torch.as_tensor(uniq)[:, None])  # (U, r)
        p = torch.einsum("nr,ur,rm->unm", v, f, ut).to(torch.float32)
        return p[torch.as_tensor(inv.reshape(-1))]

    def get(self, t: float) -> tuple[torch.Tensor, torch.Tensor]:
        """A_T and P_T at temperature ``t`` with the bank's h (cached).

        Parameters
        ----------
        t : float
            Temperature (K).

        Returns
        -------
        a : Tensor of shape (n_omega, n_glue)
            Kernel scaled by 1/Y_SCALE, float32.
        p : Tensor of shape (n_glue, n_omega)
            Landweber preconditioner ``(AᵀA + hI)⁻¹Aᵀ``, float32.
        """
        t = float(t)
        if t not in self._cache:
            a = self.setup.kernel(t).matrix / Y_SCALE
            p = landweber_preconditioner(a, self.h)
            self._cache[t] = (torch.as_tensor(a, dtype=torch.float32),
                              torch.as_tensor(p, dtype=torch.float32))
        return self._cache[t]

    def batch(self, temps: np.ndarray, h: np.ndarray | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """A and P for samples at temperatures ``temps`` (K), shared when all equal.

        Parameters
        ----------
        temps : ndarray of shape (B,)
            Temperature of each sample (K).
        h : ndarray of shape (B,), optional
            Per-sample Landweber h (noise-conditioned rRIMs); default the bank's h.

        Returns
        -------
        a : Tensor of shape (n_omega, n_glue) or (B, n_omega, n_glue)
            Scaled kernels: one shared when all samples have one temperature.
        p : Tensor of shape (n_glue, n_omega) or (B, n_glue, n_omega)
            Preconditioners: one shared when all samples have one temperature and
            one h, else one per sample.
        """
        uniq = np.unique(temps)
        if h is None:
            if uniq.size == 1:
                return self.get(uniq[0])
            pairs = [self.get(t) for t in temps]
            return torch.stack([a for a, _ in pairs]), torch.stack([p for _, p in pairs])
        h = np.asarray(h, dtype=float)
        if uniq.size == 1:
            hu = np.unique(h)
            if hu.size > 1:
                return self.get(uniq[0])[0], self.preconditioners(uniq[0], h)
            key = (float(uniq[0]), float(hu[0]))  # one P for the batch (cached): shared path
            if key not in self._shared:
                if len(self._shared) >= SHARED_CACHE:
                    self._shared.clear()
                self._shared[key] = self.preconditioners(uniq[0], hu)[0]
            return self.get(uniq[0])[0], self._shared[key]
        p = torch.empty(len(temps), self.setup.n_glue, self.setup.n_omega)
        for t in uniq:
            sel = np.flatnonzero(temps == t)
            p[torch.as_tensor(sel)] = self.preconditioners(t, h[sel])
        return torch.stack([self.get(t)[0] for t in temps]), p
