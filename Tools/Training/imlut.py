"""The "imlut" arbitrary-scale model of docs/imlut.md in NumPy: the reference forward (the oracle the Swift
engine is tested against) and the pieces the fit (6_fit_imlut.py) builds its rows from, so what is fitted is what
is run. Every step below carries the number of the step of the contract it implements.

Every table lookup happens on the LR grid: optional pre-stages (x1 srlut stages, a cascade) refine the LR plane,
then mix luts read it and give each LR pixel N x N x K weights (N*N*K <= 48; N may differ between scale bins, the
scale's N the most of the bins it blends); the output pixel interpolates them over the phase nodes and mixes its K
candidates. There is no refinement on the output grid and no ensemble (the
previous design's "refine" and "ensemble" are rejected).

Tables are float arrays as lutfile.read gives them: {"pre": [[stage 0's tables (L^4, 1)], ...], "mix": [mix
tables (L^4, sum over bins of N_b * N_b * K)]}; "pre" may be absent when the header has no pre-stages.
"""
from __future__ import annotations

import math

import numpy as np

from imresize import cubic
from srlut import PATTERNS, check_levels, simplex_vertices

INTERPOLATORS = ("constant", "nearest", "bilinear", "bicubic", "lanczos3")
MAX_NODE_VALUES = 48            # N * N * K: values per LR pixel (three 16-lane records in the engine)
REACH = 3                       # the farthest pattern offset in any rotation


# --- 0. pre-stages ---------------------------------------------------------------------------------------------

def pre_stage(p: np.ndarray, stage: dict, tables: list[np.ndarray], bit_depth: int = 8) -> np.ndarray:
    """One pre-stage on a plane in the 8-bit domain (float values in [0, 256)): bias, the plane itself when
    residual, and each lut's rotations read at rho_r(offset) (the same sum as srlut's rotate, look up, rotate
    back at upscale 1); the result clamped and rounded at the plane's bit depth, returned in the 8-bit domain."""
    value = np.full(p.shape, float(stage.get("bias", 0.0)))
    if stage["residual"]:
        value += p
    for lut, table in zip(stage["luts"], tables, strict=True):
        for r in range(lut["rotations"]):
            idx, wt = simplex(p, lut["pattern"], lut["levels"], r)
            value += np.einsum("hwv,hwv->hw", wt, table[idx, 0])
    f = 2.0 ** (bit_depth - 8)
    return np.round(np.clip(value * f, 0.0, 2.0 ** bit_depth - 1)) / f


def pre_stages(p: np.ndarray, header: dict, tables: dict, bit_depth: int = 8) -> np.ndarray:
    """The plane the mix and the candidates read: p after every pre-stage (p itself without any)."""
    for stage, stage_tables in zip(header.get("pre_stages", []), tables.get("pre", []), strict=True):
        p = pre_stage(p, stage, stage_tables, bit_depth)
    return p


# --- 1. scale blend --------------------------------------------------------------------------------------------

def bin_weights(s: float, bins) -> np.ndarray:
    """g_b: piecewise linear in s between neighbouring bins, all weight on the end bins outside them."""
    bins = np.asarray(bins, dtype=np.float64)
    g = np.zeros(len(bins))
    if s <= bins[0]:
        g[0] = 1.0
    elif s >= bins[-1]:
        g[-1] = 1.0
    else:
        i = int(np.searchsorted(bins, s, side="right")) - 1
        t = (s - bins[i]) / (bins[i + 1] - bins[i])
        g[i], g[i + 1] = 1.0 - t, t
    return g


def scale_of(h: int, w: int, out_h: int, out_w: int) -> tuple[float, float, float]:
    sy, sx = out_h / h, out_w / w
    return sy, sx, math.sqrt(sx * sy)


# --- 2. geometry -----------------------------------------------------------------------------------------------

def axis_geometry(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output index along one axis: source position u, anchor floor(u + 0.5), phase u - anchor."""
    s = n_out / n_in
    u = (np.arange(n_out, dtype=np.float64) + 0.5) / s - 0.5
    anchor = np.floor(u + 0.5).astype(np.int64)
    return u, anchor, u - anchor


# --- 3. candidates ---------------------------------------------------------------------------------------------

def _lanczos3(t: np.ndarray) -> np.ndarray:
    return np.where(np.abs(t) < 3, np.sinc(t) * np.sinc(t / 3), 0.0)


def axis_weights(name: str, n_in: int, u: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Dense (n_out, n_in) matrix of one interpolator's normalised weights along one axis, edge replication done
    by clamping the tap indices (clamped taps add up on the edge sample)."""
    n_out = len(u)
    base = np.floor(u).astype(np.int64)
    if name == "nearest":
        taps, w = anchor[:, None], np.ones((n_out, 1))
    elif name == "bilinear":
        taps = base[:, None] + np.arange(2)
        w = 1.0 - np.abs(u[:, None] - taps)
    elif name == "bicubic":
        taps = base[:, None] + np.arange(-1, 3)
        w = cubic(u[:, None] - taps)
    elif name == "lanczos3":
        taps = base[:, None] + np.arange(-2, 4)
        w = _lanczos3(u[:, None] - taps)
    else:
        raise ValueError(f"not a filter: {name!r}")
    w = w / w.sum(axis=1, keepdims=True)
    m = np.zeros((n_out, n_in))
    rows = np.repeat(np.arange(n_out), taps.shape[1])
    np.add.at(m, (rows, np.clip(taps, 0, n_in - 1).ravel()), w.ravel())
    return m


def candidates(plane: np.ndarray, out_h: int, out_w: int, names) -> np.ndarray:
    """C_k(X, Y) of every output pixel: (out_h, out_w, K) float64."""
    h, w = plane.shape
    p = plane.astype(np.float64)
    uy, ay, _ = axis_geometry(h, out_h)
    ux, ax, _ = axis_geometry(w, out_w)
    out = np.empty((out_h, out_w, len(names)))
    for k, name in enumerate(names):
        if name == "constant":
            out[..., k] = 1.0
        else:
            out[..., k] = axis_weights(name, h, uy, ay) @ p @ axis_weights(name, w, ux, ax).T
    return out


# --- 4. rotations and the 4-simplex read of a pattern ----------------------------------------------------------

def rho(r: int, dy, dx):
    """LUT-frame offset (dy, dx) -> image-frame offset under rotation r."""
    return [(dy, dx), (-dx, dy), (-dy, -dx), (dx, -dy)][r]


def rho_inv(r: int, dy, dx):
    return rho((4 - r) % 4, dy, dx)


def walk(values: np.ndarray, levels) -> tuple[np.ndarray, np.ndarray]:
    """Entry indices (..., 5) and weights (..., 5) of the 4-simplex interpolation at points `values` (..., 4) in
    [0, 256] of a lattice with these levels on each axis."""
    lv = check_levels(levels).astype(np.float64)
    n = len(lv)
    strides = np.array([n ** 3, n ** 2, n, 1], dtype=np.int64)
    cell = np.clip(np.searchsorted(lv, values, side="right") - 1, 0, n - 2)
    return simplex_vertices((cell * strides).sum(-1), (values - lv[cell]) / (lv[cell + 1] - lv[cell]), strides)


def simplex(plane: np.ndarray, pattern: str, levels, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Entry indices (H, W, 5) and weights (H, W, 5) of the pattern read at every pixel of `plane` (uint8 or float
    values in [0, 256)) under rotation r, the plane reflect padded (NumPy 'reflect')."""
    h, w = plane.shape
    pad = REACH
    padded = np.pad(plane.astype(np.float64), pad, mode="reflect")
    values = np.empty((h, w, 4))
    for t, (dy, dx) in enumerate(PATTERNS[pattern]):
        oy, ox = rho(r, dy, dx)
        values[..., t] = padded[pad + oy:pad + oy + h, pad + ox:pad + ox + w]
    return walk(values, levels)


def resample_levels(table: np.ndarray, levels, new_levels) -> np.ndarray:
    """A table (L^4, outputs) on `levels` evaluated at every entry of a lattice on `new_levels`: the same function
    where the new lattice refines the old (exactly at the old entries), as a start for fine-tuning more levels."""
    grid = np.stack(np.meshgrid(*[np.asarray(new_levels, np.float64)] * 4, indexing="ij"), -1).reshape(-1, 4)
    idx, weights = walk(grid, levels)
    return np.einsum("pv,pvo->po", weights, table[idx])


def bin_nodes(header: dict) -> list[int]:
    """N_b of each scale bin: "phase_nodes" is one count for all bins or a list of one per bin."""
    n = header["phase_nodes"]
    return list(n) if isinstance(n, list) else [n] * len(header["scale_bins"])


def plan_nodes(header: dict, g: np.ndarray) -> int:
    """N of the blended tables at bin weights g: the most nodes among the bins the scale blends (g_b > 0)."""
    return max(n for n, gb in zip(bin_nodes(header), g) if gb > 0)


def node_axis(n_old: int, n_new: int) -> np.ndarray:
    """(n_new, n_old) bilinear weights of the old nodes at each new node's place along one axis."""
    g = np.linspace(0.0, n_old - 1, n_new)
    i0 = np.minimum(np.floor(g).astype(np.int64), n_old - 2)
    m = np.zeros((n_new, n_old))
    m[np.arange(n_new), i0] = 1.0 - (g - i0)
    m[np.arange(n_new), i0 + 1] = g - i0
    return m


def node_matrix(n_old: int, n_new: int) -> np.ndarray:
    """(n_new^2, n_old^2): node values on an n_old grid taken bilinearly at the nodes of an n_new grid."""
    a = node_axis(n_old, n_new)
    return np.kron(a, a)


def carry_nodes(block: np.ndarray, n_old: int, n_new: int) -> np.ndarray:
    """A bin's values (E, n_old^2, K) taken bilinearly at the nodes of an n_new grid: (E, n_new^2, K)."""
    return block if n_old == n_new else np.einsum("ji,eik->ejk", node_matrix(n_old, n_new), block)


def bin_blocks(table: np.ndarray, header: dict) -> list[np.ndarray]:
    """A mix table (E, outputs) split by scale bin: (E, N_b * N_b, K) each."""
    k, out, at = len(header["interpolators"]), [], 0
    for n in bin_nodes(header):
        out.append(table[:, at:at + n * n * k].reshape(len(table), n * n, k))
        at += n * n * k
    return out


def refine_nodes(table: np.ndarray, header: dict, new_nodes: list[int]) -> np.ndarray:
    """A mix table of `header` carried to new_nodes[b] x new_nodes[b] phase nodes in each bin: each new node's
    values the bilinear blend of the bin's old ones at its place, so the model is the same function where the new
    grid refines the old (2 to 3: every blend of the old grid is one of the new), as a start for fine-tuning more
    nodes."""
    blocks = [carry_nodes(block, n, m)
              for block, n, m in zip(bin_blocks(table, header), bin_nodes(header), new_nodes, strict=True)]
    return np.concatenate([b.reshape(len(table), -1) for b in blocks], axis=1)


def insert_bins(table: np.ndarray, header: dict, new_bins) -> np.ndarray:
    """A mix table of `header` on the scale bins `new_bins` (a superset of the header's): each added bin the
    header's blend at its scale, on that blend's nodes, so the model is the same function."""
    bins = header["scale_bins"]
    if not set(bins) <= set(new_bins):
        raise ValueError(f"the new bins {list(new_bins)} must keep every old one {bins}")
    old = dict(zip(bins, bin_blocks(table, header)))
    out = [old[b] if b in old else blend(table, header, bin_weights(b, bins)) for b in new_bins]
    return np.concatenate([o.reshape(len(table), -1) for o in out], axis=1)


# --- 5. mix vectors over the phase nodes -----------------------------------------------------------------------

def node_map(n_nodes: int, r: int) -> np.ndarray:
    """q_r[j]: the table node (flat py * N + px) read for image-frame node j under rotation r."""
    q = np.empty(n_nodes * n_nodes, dtype=np.int64)
    step = 1.0 / (n_nodes - 1)
    for jy in range(n_nodes):
        for jx in range(n_nodes):
            ly, lx = rho_inv(r, -0.5 + jy * step, -0.5 + jx * step)
            q[jy * n_nodes + jx] = round((ly + 0.5) * (n_nodes - 1)) * n_nodes + round((lx + 0.5) * (n_nodes - 1))
    return q


def blend(table: np.ndarray, header: dict, g: np.ndarray) -> np.ndarray:
    """T'[e, j, k] = sum_b g_b T_b[e, j, k] on N = plan_nodes(header, g) nodes, a bin of fewer nodes taken
    bilinearly at the N grid's nodes: (E, N * N * K)."""
    n = plan_nodes(header, g)
    out = 0.0
    for block, nb, gb in zip(bin_blocks(table, header), bin_nodes(header), g):
        if gb > 0:
            out = out + gb * carry_nodes(block, nb, n)
    return out.reshape(len(table), -1)


def mix_vectors(plane: np.ndarray, header: dict, blended: list[np.ndarray], n_nodes: int) -> np.ndarray:
    """V[n, j, k] of every LR pixel: (H, W, N*N, K), from the bin-blended mix tables (E, N*N*K)."""
    k_count = len(header["interpolators"])
    h, w = plane.shape
    v = np.zeros((h, w, n_nodes * n_nodes, k_count))
    for lut, table in zip(header["mix"]["luts"], blended, strict=True):
        t = table.reshape(-1, n_nodes * n_nodes, k_count)
        for r in range(lut["rotations"]):
            idx, wt = simplex(plane, lut["pattern"], lut["levels"], r)
            u = np.zeros_like(v)
            for vert in range(5):
                u += wt[..., vert, None, None] * t[idx[..., vert]]
            v += u[:, :, node_map(n_nodes, r), :]
    return v


# --- 6. phase weights and the mixed value ----------------------------------------------------------------------

def axis_nodes(phase: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower node index and the fraction towards the next one, grid coordinate (d + 0.5)(N - 1)."""
    g = (phase + 0.5) * (n_nodes - 1)
    i0 = np.minimum(np.floor(g).astype(np.int64), n_nodes - 2)
    return i0, g - i0


def phase_weights(h: int, w: int, out_h: int, out_w: int, n_nodes: int):
    """Per output pixel: anchor (ny, nx) and the 4 (node, beta) pairs of the bilinear node interpolation.

    Returns ny (out_h,), nx (out_w,), nodes (out_h, out_w, 4) flat node indices, beta (out_h, out_w, 4)."""
    _, ny, dy = axis_geometry(h, out_h)
    _, nx, dx = axis_geometry(w, out_w)
    iy, fy = axis_nodes(dy, n_nodes)
    ix, fx = axis_nodes(dx, n_nodes)
    nodes = np.empty((out_h, out_w, 4), dtype=np.int64)
    beta = np.empty((out_h, out_w, 4))
    for c, (ay, axx) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        nodes[..., c] = (iy[:, None] + ay) * n_nodes + (ix[None, :] + axx)
        beta[..., c] = (fy if ay else 1.0 - fy)[:, None] * (fx if axx else 1.0 - fx)[None, :]
    return ny, nx, nodes, beta


def mix_weights(plane: np.ndarray, out_h: int, out_w: int, header: dict, blended: list[np.ndarray],
                n_nodes: int) -> np.ndarray:
    """W_k of every output pixel: (out_h, out_w, K), from the mix tables blended onto n_nodes x n_nodes nodes."""
    h, w = plane.shape
    v = mix_vectors(plane, header, blended, n_nodes)
    ny, nx, nodes, beta = phase_weights(h, w, out_h, out_w, n_nodes)
    at = v[ny[:, None], nx[None, :]]                              # (out_h, out_w, N*N, K)
    picked = np.take_along_axis(at, nodes[..., None], axis=2)     # (out_h, out_w, 4, K)
    return np.einsum("hwc,hwck->hwk", beta, picked)


# --- the whole forward -----------------------------------------------------------------------------------------

def check_header(header: dict) -> None:
    """Every rule of the contract a header alone can break; ValueError naming the rule."""
    if header.get("kind") != "imlut":
        raise ValueError(f"not an imlut model: kind {header.get('kind')!r}")
    if header.get("refine") is not None:
        raise ValueError('"refine" is not part of the imlut contract any more (every lookup is on the LR grid): '
                         'a model of the previous output-grid design')
    if "ensemble" in header:
        raise ValueError('"ensemble" is not part of the imlut contract any more: a model of the previous design')
    bins = header["scale_bins"]
    if not bins or any(b <= 1 for b in bins) or any(b2 <= b1 for b1, b2 in zip(bins, bins[1:])):
        raise ValueError(f"scale_bins must ascend strictly and be > 1, got {bins}")
    nodes = header["phase_nodes"]
    if isinstance(nodes, list) and len(nodes) != len(bins):
        raise ValueError(f"phase_nodes lists {len(nodes)} counts for {len(bins)} scale bins")
    if any(not isinstance(n, int) or n < 2 for n in bin_nodes(header)):
        raise ValueError(f"phase_nodes must be integers >= 2, got {nodes}")
    names = header["interpolators"]
    if not names or len(set(names)) != len(names) or any(n not in INTERPOLATORS for n in names):
        raise ValueError(f"bad interpolators {names}")
    n_nodes = max(bin_nodes(header))
    if n_nodes * n_nodes * len(names) > MAX_NODE_VALUES:
        raise ValueError(f"phase_nodes {n_nodes} and {len(names)} interpolators give N*N*K = "
                         f"{n_nodes * n_nodes * len(names)} values per LR pixel, more than {MAX_NODE_VALUES}")
    if header["max_scale"] < bins[-1]:
        raise ValueError("max_scale must be >= the last scale bin")
    for i, stage in enumerate(header.get("pre_stages", [])):
        if stage.get("upscale") != 1 or not stage["luts"]:
            raise ValueError(f"pre_stages[{i}]: a pre-stage has upscale 1 and at least one lut")
        for lut in stage["luts"]:
            if lut["pattern"] not in PATTERNS or lut["rotations"] not in (1, 4):
                raise ValueError(f"pre_stages[{i}]: bad lut: pattern {lut['pattern']!r}, rotations {lut['rotations']!r}")
            check_levels(lut["levels"])
    luts = header["mix"]["luts"]
    if not luts:
        raise ValueError("mix needs at least one lut")
    for lut in luts:
        if "dilation" in lut:
            raise ValueError('mix luts have no "dilation" (it belonged to the removed refine luts)')
        if lut["pattern"] not in PATTERNS or lut["rotations"] not in (1, 4):
            raise ValueError(f"bad mix lut: pattern {lut['pattern']!r}, rotations {lut['rotations']!r}")
        check_levels(lut["levels"])


def mixed(plane: np.ndarray, out_h: int, out_w: int, header: dict, tables: dict, bit_depth: int = 8) -> np.ndarray:
    """M (steps 0-6) as a float64 plane, for a plane in the 8-bit domain (uint8 or float values in [0, 256)) of a
    `bit_depth`-bit image (where the pre-stages round)."""
    sy, sx, s = scale_of(*plane.shape, out_h, out_w)
    if min(sy, sx) < 1 or max(sy, sx) > header["max_scale"]:
        raise ValueError(f"scale {sx:g} x {sy:g} outside [1, {header['max_scale']}]")
    plane = pre_stages(plane, header, tables, bit_depth)
    g = bin_weights(s, header["scale_bins"])
    w = mix_weights(plane, out_h, out_w, header, [blend(t, header, g) for t in tables["mix"]], plan_nodes(header, g))
    c = candidates(plane, out_h, out_w, header["interpolators"])
    return np.einsum("hwk,hwk->hw", w, c)


def run_model(plane: np.ndarray, out_h: int, out_w: int, header: dict, tables: dict,
              return_float: bool = False, bit_depth: int = 8) -> np.ndarray:
    """Upscale a plane (H, W) of `bit_depth`-bit samples to (out_h, out_w): the contract's steps 0-6 and the output
    step (clamp to [0, 2^d - 1], round half to even; uint8 for 8 bits, else uint16). tables as lutfile.read
    returns them. With return_float, the value before the output step.

    A d-bit plane runs as the 8-bit domain scaled by f = 2^(d-8) (inputs, levels, the constant candidate and the
    output): here as the plane divided by f, M times f, which is exact in binary floating point."""
    check_header(header)
    f = 2.0 ** (bit_depth - 8)
    p = plane if bit_depth == 8 else plane.astype(np.float64) / f
    m = mixed(p, out_h, out_w, header, tables, bit_depth) * f
    if return_float:
        return m
    top = float(2 ** bit_depth - 1)
    return np.round(np.clip(m, 0.0, top)).astype(np.uint8 if bit_depth == 8 else np.uint16)


def make_header(name: str, scale_bins, phase_nodes: int | list[int], interpolators, mix_luts: list[dict],
                max_scale: float = 8, metadata: dict | None = None, pre_luts: list[list[dict]] = ()) -> dict:
    """Header of an imlut model (the tables' descriptors are added by lutfile.write); phase_nodes: one count, or
    one per scale bin (written as one count when they are all equal); pre_luts: the luts of each pre-stage
    (residual, bias 0)."""
    if isinstance(phase_nodes, (list, tuple)):
        phase_nodes = [int(n) for n in phase_nodes]
        phase_nodes = phase_nodes[0] if len(set(phase_nodes)) == 1 else phase_nodes
    header = {"kind": "imlut", "name": name, "max_scale": max_scale,
              "scale_bins": [float(b) if b != int(b) else int(b) for b in scale_bins],
              "phase_nodes": phase_nodes if isinstance(phase_nodes, list) else int(phase_nodes), "interpolators": list(interpolators),
              "mix": {"luts": [{"pattern": l["pattern"], "rotations": l["rotations"],
                                "levels": [int(v) for v in l["levels"]]} for l in mix_luts]},
              "metadata": metadata or {}}
    if pre_luts:
        header["pre_stages"] = [{"upscale": 1, "residual": True, "bias": 0.0,
                                 "luts": [{"pattern": l["pattern"], "rotations": l["rotations"],
                                           "levels": [int(v) for v in l["levels"]]} for l in luts]}
                                for luts in pre_luts]
    check_header(header)
    return header


def mix_outputs(header: dict) -> int:
    return sum(n * n for n in bin_nodes(header)) * len(header["interpolators"])


def selecting_table(levels_count: int, header: dict, name: str, value: float = 1.0) -> np.ndarray:
    """A mix table whose every entry gives weight `value` to interpolator `name` at every bin and node."""
    names = header["interpolators"]
    t = np.zeros((levels_count ** 4, mix_outputs(header) // len(names), len(names)))
    t[..., names.index(name)] = value
    return t.reshape(levels_count ** 4, -1)
