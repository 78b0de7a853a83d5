"""The imlut forward of imlut.py (docs/imlut.md, steps 0-6) in PyTorch, differentiable in the table values and
in the plane, for gradient fine-tuning (7_finetune_imlut.py). Same arithmetic as the NumPy reference, which
test_imlut_torch.py checks it against; a batch of planes shares one output size (one scale per batch).

Pre-stage outputs are rounded as the engine rounds them, with the gradient passed straight through the rounding
(the cascade's first stage learns through the mix that reads it).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import imlut
from srlut import PATTERNS


def simplex(padded: torch.Tensor, h: int, w: int, pattern: str, levels, r: int):
    """imlut.simplex on a batch: padded planes (B, h + 2 REACH, w + 2 REACH) in the 8-bit domain -> vertex entry
    indices (B, h, w, 5) and weights (B, h, w, 5), the weights differentiable in the plane."""
    lv = torch.tensor(levels, dtype=padded.dtype)
    n = len(levels)
    strides = torch.tensor([n ** 3, n ** 2, n, 1])
    reach = imlut.REACH
    base = torch.zeros(padded.shape[0], h, w, dtype=torch.long)
    fractions = []
    for t, (dy, dx) in enumerate(PATTERNS[pattern]):
        oy, ox = imlut.rho(r, dy, dx)
        v = padded[:, reach + oy:reach + oy + h, reach + ox:reach + ox + w]
        cell = (torch.searchsorted(lv, v.detach().contiguous(), right=True) - 1).clamp(0, n - 2)
        base += cell * strides[t]
        fractions.append((v - lv[cell]) / (lv[cell + 1] - lv[cell]))
    fs, order = torch.sort(torch.stack(fractions, -1), dim=-1, descending=True, stable=True)
    weights = torch.cat([1 - fs[..., :1], fs[..., :3] - fs[..., 1:], fs[..., 3:]], -1)
    idx = torch.cat([base[..., None], base[..., None] + torch.cumsum(strides[order], -1)], -1)
    return idx, weights


def lut_sum(plane: torch.Tensor, lut: dict, table: torch.Tensor) -> list[torch.Tensor]:
    """Per rotation of the lut: the simplex-interpolated table rows (B, h, w, outputs) of every pixel."""
    b, h, w = plane.shape
    padded = F.pad(plane[:, None], (imlut.REACH,) * 4, mode="reflect")[:, 0]
    out = []
    for r in range(lut["rotations"]):
        idx, wt = simplex(padded, h, w, lut["pattern"], lut["levels"], r)
        rows = F.embedding_bag(idx.reshape(-1, 5), table, per_sample_weights=wt.reshape(-1, 5), mode="sum")
        out.append(rows.reshape(b, h, w, table.shape[1]))
    return out


class Model(torch.nn.Module):
    """An imlut model's tables as parameters: pre-stage tables (L^4, 1) and mix tables (L^4, outputs)."""

    def __init__(self, header: dict, tables: dict, dtype=torch.float32):
        super().__init__()
        imlut.check_header(header)
        self.header = header
        self.bin_nodes, self.k = imlut.bin_nodes(header), len(header["interpolators"])
        self.pre = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(t, dtype=dtype))
                                          for stage in tables.get("pre", []) for t in stage)
        self.mix = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(t, dtype=dtype)) for t in tables["mix"])
        nodes = set(self.bin_nodes)
        self.node_maps = {n: [torch.tensor(imlut.node_map(n, r)) for r in range(4)] for n in nodes}
        self.node_matrices = {(a, b): torch.tensor(imlut.node_matrix(a, b), dtype=dtype)
                              for a in nodes for b in nodes if a < b}

    def blend(self, table: torch.Tensor, g: np.ndarray, n: int) -> torch.Tensor:
        """imlut.blend: the bins of weight g_b > 0 summed on n x n nodes, (E, n * n * K)."""
        out = 0.0
        for block, nb, gb in zip(imlut.bin_blocks(table, self.header), self.bin_nodes, g):
            if gb > 0:
                if nb != n:
                    block = torch.einsum("ji,eik->ejk", self.node_matrices[nb, n], block)
                out = out + float(gb) * block
        return out.reshape(table.shape[0], -1)

    def tables(self) -> dict:
        """The current tables as imlut.py and lutfile.py take them (float64 arrays)."""
        flat = iter(t.detach().double().numpy() for t in self.pre)
        pre = [[next(flat) for _ in stage["luts"]] for stage in self.header.get("pre_stages", [])]
        mix = [t.detach().double().numpy() for t in self.mix]
        return {"mix": mix} | ({"pre": pre} if pre else {})

    def pre_stages(self, p: torch.Tensor, bit_depth: int = 8) -> torch.Tensor:
        """imlut.pre_stages on a batch (B, h, w) in the 8-bit domain."""
        tables = iter(self.pre)
        f = 2.0 ** (bit_depth - 8)
        for stage in self.header.get("pre_stages", []):
            value = p + float(stage.get("bias", 0.0)) if stage["residual"] else torch.full_like(p, stage.get("bias", 0.0))
            for lut in stage["luts"]:
                for rows in lut_sum(p, lut, next(tables)):
                    value = value + rows[..., 0]
            clamped = (value * f).clamp(0, 2.0 ** bit_depth - 1)
            p = (clamped + (torch.round(clamped) - clamped).detach()) / f
        return p

    def forward(self, planes: torch.Tensor, out_h: int, out_w: int, bit_depth: int = 8) -> torch.Tensor:
        """M (B, out_h, out_w) of planes (B, h, w) in the 8-bit domain: imlut.mixed for each plane."""
        b, h, w = planes.shape
        p = self.pre_stages(planes, bit_depth)
        g = imlut.bin_weights(imlut.scale_of(h, w, out_h, out_w)[2], self.header["scale_bins"])
        n = imlut.plan_nodes(self.header, g)
        nn, k = n * n, self.k
        v = torch.zeros(b, h, w, nn, k, dtype=p.dtype)
        for lut, table in zip(self.header["mix"]["luts"], self.mix):
            for r, rows in enumerate(lut_sum(p, lut, self.blend(table, g, n))):
                v = v + rows.reshape(b, h, w, nn, k)[:, :, :, self.node_maps[n][r], :]
        ny, nx, nodes, beta = imlut.phase_weights(h, w, out_h, out_w, n)
        at = v[:, torch.tensor(ny)][:, :, torch.tensor(nx)]                            # (B, out_h, out_w, N*N, K)
        picked = torch.gather(at, 3, torch.tensor(nodes)[None, :, :, :, None].expand(b, out_h, out_w, 4, k))
        weights = torch.einsum("yxc,byxck->byxk", torch.tensor(beta, dtype=p.dtype), picked)
        uy, ay, _ = imlut.axis_geometry(h, out_h)
        ux, ax, _ = imlut.axis_geometry(w, out_w)
        m = torch.zeros(b, out_h, out_w, dtype=p.dtype)
        for c, name in enumerate(self.header["interpolators"]):
            if name == "constant":
                m = m + weights[..., c]
            else:
                wy = torch.tensor(imlut.axis_weights(name, h, uy, ay), dtype=p.dtype)
                wx = torch.tensor(imlut.axis_weights(name, w, ux, ax), dtype=p.dtype)
                m = m + weights[..., c] * (wy @ p @ wx.T)
        return m
