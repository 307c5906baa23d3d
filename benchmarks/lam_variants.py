"""LAM variants kept for benchmarks only: :func:`lam_blocked`, an exact linear-memory LAM by symmetric blocks with
its own autograd (fast on CPU, used by no config). The package's LAM is ``mmwsss.models.necks.lam``
(``lam_attention`` and the dense reference ``lam_dense``); ``tests/benchmarks`` checks this variant against them.
"""
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmwsss.models.necks.lam import _check_inputs, grid_coordinates  # noqa: E402

__all__ = ['lam_blocked']


def _sym_block(g: torch.Tensor, kb: torch.Tensor, i: slice, j: slice) -> torch.Tensor:
    """Block (i, j) of the symmetric LAM logit matrix S = f.f^T - D^2 / 2 sigma^2, (n, |i|, |j|)."""
    return torch.baddbmm(kb[i].unsqueeze(1) + kb[j].unsqueeze(0), g[:, i], g[:, j].transpose(1, 2))


class _SymmetricBlockLAM(torch.autograd.Function):
    """Exact LAM with O(N * block) memory that exploits the symmetry of its logit matrix.

    ``S[a, b] = f_a . f_b - |p_a - p_b|^2 / 2 sigma^2 = g_a . g_b + k_a + k_b`` with
    ``g = [f, p / sigma]`` and ``k = -|p|^2 / 2 sigma^2`` is symmetric, so each off-diagonal block is
    computed once and serves both as "queries I / keys J" and (transposed) "queries J / keys I".
    Forward: online softmax over the keys (running max / sum / weighted values per query); backward:
    blocks are recomputed from the saved log-sum-exp, and ``dg = (dS + dS^T) g`` again needs one
    product per block pair. Matrix products: 0.5 (forward) + 1.5 (backward) of a full N x N x D
    product, against ~7 for fused attention with the value dimension padded to D.
    """

    @staticmethod
    def forward(ctx, g, kb, s, block):  # g (n, N, D), kb (N,), s (n, N, C)
        n, num, _ = g.shape
        blocks = [slice(a, min(a + block, num)) for a in range(0, num, block)]
        m = g.new_full((n, num), float('-inf'))
        lsum = g.new_zeros((n, num))
        acc = g.new_zeros(s.shape)
        for bi, i in enumerate(blocks):
            for j in blocks[bi:]:
                t = _sym_block(g, kb, i, j)
                diag = j.start == i.start
                # queries i, keys j (rows of t)
                m_new = torch.maximum(m[:, i], t.amax(dim=2))
                alpha = torch.exp(m[:, i] - m_new)
                e = t.sub(m_new.unsqueeze(2)) if not diag else t.sub_(m_new.unsqueeze(2))
                e.exp_()
                lsum[:, i] = lsum[:, i] * alpha + e.sum(dim=2)
                acc[:, i] = torch.baddbmm(acc[:, i] * alpha.unsqueeze(2), e, s[:, j])
                m[:, i] = m_new
                if diag:
                    continue
                # queries j, keys i (columns of t); t is not needed afterwards, so work in place
                m_new = torch.maximum(m[:, j], t.amax(dim=1))
                alpha = torch.exp(m[:, j] - m_new)
                e = t.sub_(m_new.unsqueeze(1)).exp_()
                lsum[:, j] = lsum[:, j] * alpha + e.sum(dim=1)
                acc[:, j] = torch.baddbmm(acc[:, j] * alpha.unsqueeze(2), e.transpose(1, 2), s[:, i])
                m[:, j] = m_new
        out = acc / lsum.unsqueeze(2)
        lse = m + torch.log(lsum)
        ctx.save_for_backward(g, kb, s, out, lse)
        ctx.blocks = blocks
        return out

    @staticmethod
    def backward(ctx, grad_out):
        g, kb, s, out, lse = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        delta = (grad_out * out).sum(dim=2)  # (n, N): sum_c dO * O
        dg = torch.zeros_like(g) if ctx.needs_input_grad[0] else None
        ds = torch.zeros_like(s)
        blocks = ctx.blocks
        for bi, i in enumerate(blocks):
            for j in blocks[bi:]:
                t = _sym_block(g, kb, i, j)
                diag = j.start == i.start
                # queries i / keys j: P1[q, k] in the (i, j) layout of t
                p1 = t.sub(lse[:, i].unsqueeze(2)) if not diag else t.sub_(lse[:, i].unsqueeze(2))
                p1.exp_()
                ds[:, j] += torch.bmm(p1.transpose(1, 2), grad_out[:, i])
                dsym = torch.bmm(grad_out[:, i], s[:, j].transpose(1, 2))
                dsym.sub_(delta[:, i].unsqueeze(2)).mul_(p1)  # dS = P * (dP - delta)
                if not diag:
                    # queries j / keys i, kept in the (i, j) layout; t is consumed in place
                    p2 = t.sub_(lse[:, j].unsqueeze(1)).exp_()
                    ds[:, i] += torch.bmm(p2, grad_out[:, j])
                    dp2 = torch.bmm(s[:, i], grad_out[:, j].transpose(1, 2))
                    dsym.add_(dp2.sub_(delta[:, j].unsqueeze(1)).mul_(p2))
                    if dg is not None:
                        dg[:, i] += torch.bmm(dsym, g[:, j])
                        dg[:, j] += torch.bmm(dsym.transpose(1, 2), g[:, i])
                elif dg is not None:
                    dg[:, i] += torch.bmm(dsym + dsym.transpose(1, 2), g[:, i])
        return dg, None, ds, None


def lam_blocked(logits: torch.Tensor, feats: torch.Tensor, sigma: float = 6.0, block: int = 1536) -> torch.Tensor:
    """Exact linear-memory LAM by symmetric blocks (fastest on CPU); see :class:`_SymmetricBlockLAM`.

    Args:
        logits: (N, C, h, w) segmentation logits.
        feats: (N, D, h', w') patch embedding (resized to (h, w) if needed).
        sigma: Gaussian width in grid cells.
        block: Block size (positions); memory is O(h w * block).

    Returns:
        (N, C, h, w) aggregated logits, dtype of ``logits`` (computed in float32).
    """
    feats = _check_inputs(logits, feats)
    n, c, h, w = logits.shape
    with torch.autocast(device_type=logits.device.type, enabled=False):
        s = logits.float().reshape(n, c, h * w).transpose(1, 2).contiguous()
        f = feats.float().reshape(n, feats.shape[1], h * w).transpose(1, 2)
        p = grid_coordinates(h, w, device=logits.device, center=True) / sigma
        g = torch.cat([f, p.expand(n, -1, -1)], dim=2).contiguous()
        kb = -0.5 * p.pow(2).sum(dim=1)
        out = _SymmetricBlockLAM.apply(g, kb, s, int(block))
        out = out.transpose(1, 2).reshape(n, c, h, w)
    return out.to(logits.dtype)
