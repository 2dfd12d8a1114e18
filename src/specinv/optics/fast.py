"""Fast inference of trained rRIMs: several models fused into grouped convolutions.

:class:`StackedRRIM` evaluates M trained :class:`~specinv.optics.models.RRIM`
networks (an ensemble, or just one) in a single pass: every convolution of the
M models becomes one grouped convolution (``groups=M``), the GRU's input and
memory convolutions are split so each is computed once, and the Landweber
gradient uses the precomputed ``P y`` and ``P A``::

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


class StackedRRIM:
    """M trained rRIMs with identical architecture, evaluated together.

    Every convolution is a batched matrix product over the models of the
    unfolded input (faster on CPU than a grouped ``conv1d`` for these sizes);
    tensors are kept in the layout (model, channel, batch, mesh). The memory
    convolution of the GRU gates at step t+1 and the decoder at step t act on
    the same ``s_t``, so they share one product.

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

        def mat(ws: list[torch.Tensor]) -> torch.Tensor:  # (M, out, in·k)
            return torch.stack([w.reshape(w.shape[0], -1) for w in ws]).contiguous()

        def vec(bs: list[torch.Tensor]) -> torch.Tensor:  # (M, out, 1)
            return torch.stack(bs)[:, :, None].contiguous()

        with torch.no_grad():
            enc = [m.encode[0] for m in models]
            gru = [m.gru for m in models]
            self.enc_w, self.enc_b = mat([c.weight for c in enc]), vec([c.bias for c in enc])
            # input part of gates and candidate in one product: 3h outputs per model
            self.u_w = mat([torch.cat([g.gates.weight[:, :h], g.cand.weight[:, :h]])
                            for g in gru])
            self.u_b = vec([torch.cat([g.gates.bias, g.cand.bias]) for g in gru])
            self.sc_w = mat([g.cand.weight[:, h:] for g in gru])
            # memory part of the gates (2h) and the decoder (1) on the same s
            self.sd_w = mat([torch.cat([g.gates.weight[:, h:], m.decode.weight])
                             for g, m in zip(gru, models, strict=True)])
            self.dec_b = torch.stack([m.decode.bias for m in models])[:, :, None]

    def _conv(self, v: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        """'Same' convolution of ``v`` (M, C, B, L) with ``w`` (M, out, C·k) → (M, out, B, L)."""
        m, c, bsz, n = v.shape
        pad = self.k // 2
        cols = torch.constant_pad_nd(v, (pad, pad)).unfold(-1, self.k, 1).permute(0, 1, 4, 2, 3)
        cols = cols.reshape(m, c * self.k, bsz * n)
        out = torch.bmm(w, cols) if b is None else torch.baddbmm(b, w, cols)
        return out.view(m, -1, bsz, n)

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
        with torch.no_grad():
            if p.dim() == 2:
                py = y @ p.T  # (B, n)
                pa_t = (p @ a).T
            else:
                py = torch.bmm(p, y[:, :, None])[:, :, 0]
                pa_t = torch.bmm(p, a).transpose(1, 2)[None]  # (1, B, n, n)
            extra = []
            if self.temperature_input:
                if temperature is None:
                    raise ValueError("this rRIM needs the temperature of each sample")
                tt = (temperature / 300.0).to(y.dtype)
                extra = [tt[None, None, :, None].expand(m, 1, b, n)]
            x = y.new_zeros(m, b, n)
            s = y.new_zeros(m, h, b, n)
            sg = y.new_zeros(m, 2 * h, b, n)  # memory part of the gates for s = 0
            out = []
            for _ in range(n_steps or self.n_steps):
                if pa_t.dim() == 2:
                    grad = py - x @ pa_t
                else:
                    grad = py - (x[:, :, None, :] @ pa_t)[:, :, 0]
                inp = torch.cat([x[:, None], grad[:, None], *extra], 1)
                u = torch.tanh(self._conv(inp, self.enc_w, self.enc_b))
                cu = self._conv(u, self.u_w, self.u_b)
                zr = torch.sigmoid(cu[:, :2 * h] + sg)
                z, r = zr[:, :h], zr[:, h:]
                c = torch.tanh(cu[:, 2 * h:] + self._conv(r * s, self.sc_w, None))
                s = torch.addcmul(s, z, c - s)
                sd = self._conv(s, self.sd_w, None)
                sg = sd[:, :2 * h]
                x = x + grad + sd[:, 2 * h] + self.dec_b
                if all_steps:
                    out.append(x.transpose(0, 1))
        return torch.stack(out) if all_steps else x.transpose(0, 1)
