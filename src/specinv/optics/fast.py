"""Fast inference of trained rRIMs: several models evaluated in one pass.

:class:`StackedRRIM` evaluates M trained :class:`~specinv.optics.models.RRIM`
networks (an ensemble, or just one) together. Activations are kept
channels-last and zero-padded along the glue mesh, shape (M, L + k − 1, B, C),
so a width-k "same" convolution is k accumulated matrix products of contiguous
shifted slices (no im2col copy), written into buffers allocated once per call;
small batches use one unfolded product instead (fewer operations). The GRU's
input and memory convolutions are split so each is computed once, tanh of large
tensors is evaluated as 2σ(2v) − 1 (several times faster on CPU), and the
Landweber gradient uses the precomputed ``P y`` and ``P A``::

    ∇_t = P (y − A x_t) = P y − (P A) x_t.

The result equals the models' own ``forward`` to float32 rounding (tested); it
is inference only (no autograd). A single spectrum runs with one torch thread
(:func:`single_thread`), which on a small machine is faster than several.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch

from specinv.optics.models import RRIM

#: batches with at most this many rows (spectra × models) run on one thread
SINGLE_THREAD_ROWS = 64
#: convolutions over at most this many (mesh point, spectrum) rows use one unfolded product
UNFOLD_ROWS = 1000
#: tensors with at least this many elements take tanh through the sigmoid
TANH_VIA_SIGMOID = 16384


@contextlib.contextmanager
def single_thread(enabled: bool = True) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(1)`` and restore the previous count."""
    if not enabled:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _tanh_(v: torch.Tensor) -> torch.Tensor:
    """tanh in place; large tensors as 2σ(2v) − 1, which is several times faster on CPU."""
    if v.numel() < TANH_VIA_SIGMOID:
        return v.tanh_()
    return v.mul_(2.0).sigmoid_().mul_(2.0).sub_(1.0)


class StackedRRIM:
    """M trained rRIMs with identical architecture, evaluated together.

    Parameters
    ----------
    models : sequence of RRIM
        Same ``n_glue``, ``hidden`` and ``temperature_input``; weights are copied.
    """

    def __init__(self, models: Sequence[RRIM]) -> None:
        if not models:
            raise ValueError("StackedRRIM needs at least one model")
        m0 = models[0]
        for m in models:
            if (m.n_glue, m.hidden, m.temperature_input) != (m0.n_glue, m0.hidden,
                                                             m0.temperature_input):
                raise ValueError("all stacked rRIMs must share n_glue, hidden and "
                                 "temperature_input")
        self.m, self.h, self.n_glue = len(models), m0.hidden, m0.n_glue
        self.n_steps, self.temperature_input = m0.n_steps, m0.temperature_input
        self.k = m0.encode[0].weight.shape[-1]
        h = self.h

        def taps(ws: list[torch.Tensor]) -> torch.Tensor:
            # conv weights (out, in, k) of the M models → (k, M, in, out)
            return torch.stack([w.permute(2, 1, 0) for w in ws], 1).contiguous()

        def cols(ws: list[torch.Tensor]) -> torch.Tensor:
            # conv weights (out, in, k) → (M, k·in, out), rows ordered (tap, in)
            return torch.stack([w.transpose(1, 2).reshape(w.shape[0], -1).T
                                for w in ws]).contiguous()

        def bias(bs: list[torch.Tensor]) -> torch.Tensor:  # (M, 1, out)
            return torch.stack(bs)[:, None, :].contiguous()

        with torch.no_grad():
            enc = [m.encode[0] for m in models]
            gru = [m.gru for m in models]
            ws = {"enc": [c.weight for c in enc],
                  # input part of gates and candidate in one product: 3h outputs per model
                  "u": [torch.cat([g.gates.weight[:, :h], g.cand.weight[:, :h]]) for g in gru],
                  "sc": [g.cand.weight[:, h:] for g in gru],
                  # memory part of the gates (2h) and the decoder (1) on the same s
                  "sd": [torch.cat([g.gates.weight[:, h:], m.decode.weight])
                         for g, m in zip(gru, models, strict=True)]}
            self.taps = {key: taps(w) for key, w in ws.items()}
            self.cols = {key: cols(w) for key, w in ws.items()}
            self.enc_b = bias([c.bias for c in enc])[:, None]  # (M, 1, 1, h)
            self.u_b = bias([torch.cat([g.gates.bias, g.cand.bias]) for g in gru])[:, None]
            self.dec_b = torch.stack([m.decode.bias for m in models])[:, :, None]  # (M, 1, 1)

    def _conv(self, v: torch.Tensor, key: str, out: torch.Tensor) -> torch.Tensor:
        """'Same' convolution of the padded ``v`` (M, L + k − 1, B, C) into ``out`` (M, L, B, out).

        ``key`` names the weights; each ``out[i]`` must be contiguous. Small inputs
        are unfolded into one matrix (fewer operations); large ones are multiplied
        tap by tap into ``out`` (no copies, no fresh memory).
        """
        m, lp, bsz, c = v.shape
        n = lp - self.k + 1
        if n * bsz <= UNFOLD_ROWS:
            cols = v.unfold(1, self.k, 1).transpose(3, 4).reshape(m, n * bsz, self.k * c)
            if out.is_contiguous():
                torch.bmm(cols, self.cols[key], out=out.view(m, n * bsz, -1))
            else:
                out.copy_(torch.bmm(cols, self.cols[key]).view(out.shape))
            return out
        w = self.taps[key]
        for i in range(m):
            o = out[i].view(n * bsz, -1)
            rows = [v[i, j:j + n].view(n * bsz, c) for j in range(self.k)]
            torch.mm(rows[0], w[0, i], out=o)
            for j in range(1, self.k):
                o.addmm_(rows[j], w[j, i])
        return out

    def __call__(self, y: torch.Tensor, a: torch.Tensor, p: torch.Tensor,
                 temperature: torch.Tensor | None = None, n_steps: int | None = None,
                 all_steps: bool = False) -> torch.Tensor:
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

        Returns
        -------
        Tensor
            (B, M, n_glue) final iterate, or (N_t, B, M, n_glue) with ``all_steps``.
        """
        b, m, h, n = y.shape[0], self.m, self.h, self.n_glue
        pad = self.k // 2
        lp = n + 2 * pad
        inner = slice(pad, pad + n)
        with torch.no_grad():
            # x and ∇ in the layout (M, L, B)
            if p.dim() == 2:
                py = (p @ y.T)[None]  # (1, L, B)
                pa = (p @ a)[None]  # (1, L, L)
            else:
                py = torch.bmm(p, y[:, :, None])[:, :, 0].T[None]
                pa = torch.bmm(p, a)  # (B, L, L)
            n_in = 3 if self.temperature_input else 2
            # buffers allocated once: padded conv inputs (zero borders) and outputs
            inp = y.new_zeros(m, lp, b, n_in)
            if self.temperature_input:
                if temperature is None:
                    raise ValueError("this rRIM needs the temperature of each sample")
                inp[:, inner, :, 2] = (temperature / 300.0).to(y.dtype)[None, None, :]
            u, rs, s = (y.new_zeros(m, lp, b, h) for _ in range(3))
            cu = y.new_empty(m, n, b, 3 * h)
            c_mem = y.new_empty(m, n, b, h)
            sd = y.new_zeros(m, n, b, 2 * h + 1)  # memory part of the gates: 0 for s = 0
            x = y.new_zeros(m, n, b)
            ui, rsi, si = u[:, inner], rs[:, inner], s[:, inner]
            zr, c = cu[..., :2 * h], cu[..., 2 * h:]
            z, r = zr[..., :h], zr[..., h:]
            out = []
            for _ in range(n_steps or self.n_steps):
                if pa.shape[0] == 1:
                    grad = py - pa @ x
                else:  # per sample: ∇[m, l, b] = Py[l, b] − Σ_k PA[b, l, k] x[m, k, b]
                    grad = py - torch.bmm(pa, x.permute(2, 1, 0)).permute(2, 1, 0)
                inp[:, inner, :, 0] = x
                inp[:, inner, :, 1] = grad
                _tanh_(self._conv(inp, "enc", ui).add_(self.enc_b))
                self._conv(u, "u", cu).add_(self.u_b)
                zr.add_(sd[..., :2 * h]).sigmoid_()
                torch.mul(r, si, out=rsi)
                _tanh_(c.add_(self._conv(rs, "sc", c_mem)))
                si.addcmul_(z, c.sub_(si))
                self._conv(s, "sd", sd)
                x = x + grad + sd[..., 2 * h] + self.dec_b
                if all_steps:
                    out.append(x.permute(2, 0, 1))
        return torch.stack(out) if all_steps else x.permute(2, 0, 1)
