#!/usr/bin/env python3
"""Step 6: fit an arbitrary-scale "imlut" model (docs/imlut.md) by regularised least squares.

Data: HR crops of the photos (Y, shrunk to --hr-long-side), each with its own scale: mostly isotropic s ~ U[1, 4],
a fraction --aniso with sx, sy drawn independently; the LR crop is our MATLAB-bicubic imresize of the HR crop
(antialiased) to exactly (lr_side, lr_side), so sx = W / w as the model's geometry has it. Only anchors at least
MARGIN LR pixels inside the crop (and their HR samples) become rows.

Mix: once the LR fixes the simplex vertices and weights, the bin weights g, the phase weights beta and the
candidates C, every output M = sum over luts, rotations r, vertices v, bins b, nodes c, interpolators k of
w_v g_b beta_c C_k T[idx_v, b, q_r(node_c), k] is linear in the mix tables T. The operator is applied in two
sparse steps (F'F is never formed): J (rows = anchors, 4 rotations x 5 vertices x 2 bins per lut) takes the 4
node-permuted copies of the tables to each anchor's node vectors V[anchor, node, k]; P (rows = HR samples, 4 nodes
x K weights beta C) takes V to the samples. The normal equations with the second-difference
prior of 3_fit_srlut.py (weight per table and output column relative to its mean data weight) are solved by CG
preconditioned by the K x K interpolator blocks of each (entry, bin, node), from the model that picks bicubic
everywhere (or from --mix-init FIT: more iterations on a fit). The mix is the whole model: every table lookup is
on the LR grid (no refinement on the output grid, no ensemble), with N*N*K <= 48 values per LR pixel.

  python3 6_fit_imlut.py --mix S:7,D:5,Y:5 --nodes 2 --interpolators constant,bilinear,bicubic,lanczos3 \
      --anchors 6e6 --sample-cap 5 --max-train-scale 5 --iters 100 --name lutscale-imlut
Output: work/fits/NAME.npz (tables + config as JSON), with Set5 Y PSNR of the float tables printed per scale.
"""
from __future__ import annotations

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small matrix products: threads only spin (15x slower)
import argparse
import contextlib
import ctypes
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, load_rgb, step, y_uint8  # noqa: E402
from imresize import imresize  # noqa: E402
import imlut  # noqa: E402

MARGIN = 3          # LR pixels at the crop border that anchor no row (imresize's own border, pattern reach)
fit3 = step("3_fit_srlut")
evaluate = step("9_eval_imlut")


# --- data ------------------------------------------------------------------------------------------------------

def photo_planes(photos: list[Path], long_side: int, cache: Path | None) -> list[np.ndarray]:
    """8-bit Y planes of the photos, each shrunk (MATLAB bicubic, RGB first as 2_make_pairs.py does) to at most
    long_side; cached in an .npz since shrinking 50 camera photos takes minutes."""
    if cache and cache.exists():
        data = np.load(cache)
        return [data[f"p{i}"] for i in range(len(photos))]
    planes = []
    for path in photos:
        rgb = load_rgb(path)
        h, w = rgb.shape[:2]
        if long_side and max(h, w) > long_side:
            f = long_side / max(h, w)
            rgb = imresize(rgb, out_shape=(round(h * f), round(w * f)))
        planes.append(y_uint8(rgb))
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **{f"p{i}": p for i, p in enumerate(planes)})
    return planes


def draw_hr_size(rng: np.random.Generator, lr_side: int, aniso: float, smax: float) -> tuple[int, int]:
    """The HR size of a crop whose LR side is lr_side: isotropic s ~ U[1, smax], or with probability `aniso` sx and
    sy drawn apart."""
    if rng.random() < aniso:
        sy, sx = rng.uniform(1.0, smax, size=2)
    else:
        sy = sx = rng.uniform(1.0, smax)
    return round(lr_side * sy), round(lr_side * sx)


def cut_pair(plane: np.ndarray, hr_size: tuple[int, int], lr_side: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """(HR crop at a random place, its LR by MATLAB bicubic imresize to lr_side x lr_side), or None when the plane
    is smaller than the crop."""
    big_h, big_w = hr_size
    if plane.shape[0] < big_h or plane.shape[1] < big_w:
        return None
    y = int(rng.integers(0, plane.shape[0] - big_h + 1))
    x = int(rng.integers(0, plane.shape[1] - big_w + 1))
    hr = plane[y:y + big_h, x:x + big_w]
    return hr, imresize(hr, out_shape=(lr_side, lr_side))


def draw_crops(planes: list[np.ndarray], count: int, lr_side: int, aniso: float, smax: float,
               seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(HR crop, LR crop) pairs, photos in turn, scales drawn per crop (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    crops = []
    for i in range(count):
        pair = cut_pair(planes[i % len(planes)], draw_hr_size(rng, lr_side, aniso, smax), lr_side, rng)
        if pair is not None:
            crops.append(pair)
    return crops


def two_bins(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (at most) two bins with weight, as indices and weights of length 2."""
    nz = np.flatnonzero(g)
    b = np.array([nz[0], nz[-1]]) if len(nz) > 1 else np.array([nz[0], nz[0]])
    return b, (g[b] if len(nz) > 1 else np.array([g[nz[0]], 0.0]))


def inner_rows(lr_shape, hr_shape):
    """Output rows/columns whose anchor lies at least MARGIN inside the LR crop, and their anchors."""
    (h, w), (hh, ww) = lr_shape, hr_shape
    _, ny, _ = imlut.axis_geometry(h, hh)
    _, nx, _ = imlut.axis_geometry(w, ww)
    ys = np.flatnonzero((ny >= MARGIN) & (ny < h - MARGIN))
    xs = np.flatnonzero((nx >= MARGIN) & (nx < w - MARGIN))
    return ys, xs


# --- the mix system --------------------------------------------------------------------------------------------

_LIBC = ctypes.CDLL("libc.so.6") if sys.platform == "linux" else None


@contextlib.contextmanager
def memory_returned():
    """Freed arrays go back to the OS while the mix system is built and solved: glibc's adaptive mmap threshold
    rises after large frees, so the many per-crop arrays then come from a heap that fragments and keeps its pages
    (the 2.4 M mix system peaked at 13.9 GB, 10.2 GB with fixed 128 KB mmap and trim thresholds). Afterwards large
    fixed thresholds (the adaptive scheme's ceilings; mallopt ends that scheme for good): small ones made a per-crop
    forward after the solve (the removed refine build) 3x slower."""
    if _LIBC:
        _LIBC.malloc_trim(0)
        _LIBC.mallopt(-3, 128 << 10)   # M_MMAP_THRESHOLD
        _LIBC.mallopt(-1, 128 << 10)   # M_TRIM_THRESHOLD
    try:
        yield
    finally:
        if _LIBC:
            _LIBC.mallopt(-3, 32 << 20)
            _LIBC.mallopt(-1, 64 << 20)


class MixSystem:
    """Rows = HR samples of all crops; unknowns x (E_total, B * N*N * K): the mix tables stacked.

    J (A x 4 E B, CSR, 5 vertices x 2 bins per lut and rotation) maps the stack of the 4 node-permuted copies of x
    (rotation r reads table node q_r[j] for image node j) to V (A, N*N * K); P (S x A N*N K, CSR, 4 nodes x K)
    maps V to the samples."""

    def __init__(self, crops, header: dict, sample_cap: float = 0.0, seed: int = 0):
        self.header = header
        luts = header["mix"]["luts"]
        rng = np.random.default_rng(seed)
        self.B, self.N, self.K = len(header["scale_bins"]), header["phase_nodes"], len(header["interpolators"])
        self.NN = self.N * self.N
        self.sizes = [len(l["levels"]) ** 4 for l in luts]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.EB = int(self.offsets[-1]) * self.B
        cols, vals = [], []
        s_cols, s_vals, s_b = [], [], []
        base = 0
        for hr, lr in crops:
            h, w = lr.shape
            hh, ww = hr.shape
            g = imlut.bin_weights(imlut.scale_of(h, w, hh, ww)[2], header["scale_bins"])
            bsel, gsel = two_bins(g)
            inner = (slice(MARGIN, h - MARGIN), slice(MARGIN, w - MARGIN))
            a_w = w - 2 * MARGIN
            c_a, v_a = [], []
            for r in range(4):
                for j, lut in enumerate(luts):
                    idx, wt = imlut.simplex(lr, lut["pattern"], lut["levels"], r)
                    idx = r * self.EB + (idx[inner].reshape(-1, 5) + self.offsets[j]) * self.B
                    wt = wt[inner].reshape(-1, 5)
                    c_a.append((idx[:, :, None] + bsel).reshape(len(idx), -1))
                    v_a.append((wt[:, :, None] * gsel).reshape(len(idx), -1))
            cols.append(np.concatenate(c_a, axis=1).astype(np.int32))
            vals.append(np.concatenate(v_a, axis=1).astype(np.float32))
            ys, xs = inner_rows(lr.shape, hr.shape)
            grid = np.ix_(ys, xs)
            # at most about sample_cap HR samples per anchor (they share its V); all of them without a cap
            share = min(1.0, sample_cap * h * w / (hh * ww)) if sample_cap else 1.0
            keep = rng.random((len(ys), len(xs))) < share
            ny, nx, nodes, beta = imlut.phase_weights(h, w, hh, ww, self.N)
            anchor = (base + (ny[ys, None] - MARGIN) * a_w + (nx[None, xs] - MARGIN))[keep]
            node_col = ((anchor[:, None] * self.NN + nodes[grid][keep]) * self.K)[:, :, None]
            cand = imlut.candidates(lr, hh, ww, header["interpolators"])[grid][keep][:, None, :]
            s_cols.append((node_col + np.arange(self.K)).reshape(-1, 4 * self.K))
            s_vals.append((beta[grid][keep][:, :, None] * cand).reshape(-1, 4 * self.K).astype(np.float32))
            s_b.append(hr[grid][keep].astype(np.float32))
            base += (h - 2 * MARGIN) * a_w
        self.A = base
        self.J = _csr(np.concatenate(cols), np.concatenate(vals), 4 * self.EB)
        del cols, vals
        self.JT = self.J.T.tocsr()
        self.P = _csr(np.concatenate(s_cols), np.concatenate(s_vals), self.A * self.NN * self.K)
        del s_cols, s_vals
        self.PT = self.P.T.tocsr()
        self.b = np.concatenate(s_b)
        self.n_samples = len(self.b)
        self.qmap = [imlut.node_map(self.N, r) for r in range(4)]
        self.qinv = [np.argsort(q) for q in self.qmap]
        self.shape = (int(self.offsets[-1]), self.B * self.NN * self.K)

    def _stack(self, x: np.ndarray) -> np.ndarray:
        xv = x.reshape(self.EB, self.NN, self.K)
        return np.concatenate([xv[:, self.qmap[r], :].reshape(self.EB, -1) for r in range(4)]).astype(np.float32)

    def _unstack(self, g: np.ndarray) -> np.ndarray:
        out = np.zeros((self.EB, self.NN, self.K))
        for r in range(4):
            out += g[r * self.EB:(r + 1) * self.EB].reshape(self.EB, self.NN, self.K)[:, self.qinv[r], :]
        return out.reshape(self.shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """M of every sample (S,) for tables x."""
        return self.P @ (self.J @ self._stack(x)).reshape(-1)

    def adjoint(self, res: np.ndarray) -> np.ndarray:
        dv = (self.PT @ res.astype(np.float32)).reshape(self.A, self.NN * self.K)
        return self._unstack(self.JT @ dv)

    def data_diag(self) -> np.ndarray:
        """diag(F'F) without the cross terms between rotations and vertices that hit the same entry (the
        preconditioner and the prior's scale only need its size)."""
        dv = (self.P.multiply(self.P).T.tocsr() @ np.ones(self.n_samples, dtype=np.float32))
        return self._unstack(self.J.multiply(self.J).T.tocsr() @ dv.reshape(self.A, -1))

    def block_diag(self) -> np.ndarray:
        """The K x K blocks of F'F that couple the interpolators of one (entry, bin, node), (E B, N*N, K, K),
        without the cross terms between rotations and vertices that hit the same entry. The candidates are nearly
        collinear (all close to the local grey level), so these blocks are what makes plain Jacobi CG crawl."""
        K, S = self.K, self.n_samples
        node = self.P.indices.reshape(S, 4, K)[:, :, 0] // K            # anchor * N*N + node, per sample corner
        vals = self.P.data.reshape(S, 4, K)
        size = self.A * self.NN
        gram = np.empty((size, K, K), dtype=np.float32)
        for k in range(K):
            for l in range(k, K):
                products = (vals[..., k] * vals[..., l]).ravel()
                gram[:, k, l] = gram[:, l, k] = np.bincount(node.ravel(), products, minlength=size)
        per_entry = _squares(self.J).T.tocsr() @ gram.reshape(self.A, -1)
        del gram
        out = np.zeros((self.EB, self.NN, K * K))
        for r in range(4):
            out += per_entry[r * self.EB:(r + 1) * self.EB].reshape(self.EB, self.NN, -1)[:, self.qinv[r], :]
        return out.reshape(self.EB, self.NN, K, K)


def _squares(m: sp.csr_matrix) -> sp.csr_matrix:
    """m with every value squared (same structure)."""
    return sp.csr_matrix((m.data * m.data, m.indices, m.indptr), shape=m.shape)


def _csr(cols: np.ndarray, vals: np.ndarray, n_cols: int) -> sp.csr_matrix:
    """CSR matrix with a fixed number of non-zeros per row (duplicates allowed: they add up)."""
    n, nnz = cols.shape
    return sp.csr_matrix((vals.reshape(-1), cols.reshape(-1).astype(np.int32),
                          np.arange(0, n * nnz + 1, nnz, dtype=np.int64)), shape=(n, n_cols))


# --- the solve -------------------------------------------------------------------------------------------------

def solve(system, luts: list[dict], prior: float, iters: int, x0: np.ndarray, log=print,
          callback=None) -> np.ndarray:
    """(F'F + lam D'D) x = F'b by CG, preconditioned by the system's K x K interpolator blocks (block_diag);
    D = second differences along the lattice axes of each table, lam per table and output column =
    prior x that column's mean data weight over reached entries. callback(it, x) every 10 iterations."""
    counts = [len(l["levels"]) for l in luts]
    diag = system.data_diag()
    lam = np.zeros_like(diag)
    for j in range(len(luts)):
        part = diag[system.offsets[j]:system.offsets[j + 1]]
        reached = part > 0
        mean = np.where(reached.any(axis=0), (part * reached).sum(axis=0) / np.maximum(reached.sum(axis=0), 1), 0)
        lam[system.offsets[j]:system.offsets[j + 1]] = prior * mean
    prior_diag = lam * fit3.smoothness_diag(system.offsets, counts, 2)[:, None]
    blocks = system.block_diag()
    n_blocks, nodes, k = blocks.shape[:3]
    eye = np.eye(k, dtype=bool)
    blocks[:, :, eye] += prior_diag.reshape(n_blocks, nodes, k)
    blocks[:, :, eye] = np.maximum(blocks[:, :, eye], 1e-12)
    inverse = np.linalg.inv(blocks)
    del blocks

    def precond(v):
        return np.einsum("bnkl,bnl->bnk", inverse, v.reshape(n_blocks, nodes, k)).reshape(v.shape)

    def apply(x):
        return system.adjoint(system.forward(x)) + lam * fit3.smoothness(x, system.offsets, counts, 2)

    log(f"  {system.n_samples} samples, {system.shape[0]} entries x {system.shape[1]} outputs, "
        f"{100.0 * (diag > 0).mean():.1f}% (entry, output) pairs reached")
    # solve for the change from x0, so that the float32 products only carry the small residuals (the right-hand
    # side of x itself would cancel against F'F x0 to about 1e-4 in float32, where CG stalled)
    rhs = system.adjoint(system.b - system.forward(x0)) - lam * fit3.smoothness(x0, system.offsets, counts, 2)
    on_step = (lambda it, dx: callback(it, x0 + dx)) if callback else None
    return x0 + fit3.pcg(apply, rhs, precond, np.zeros(system.shape), iters, 1e-6, on_step, log=log)


def load_fit(name: str, fits: Path = WORK / "fits") -> tuple[dict, dict]:
    """The record (header, settings, figures) and float64 tables ({"mix": [...]}, "pre" with pre-stages) of
    fits/NAME.npz, as steps 6 and 7 write it."""
    fitted = np.load(fits / f"{name}.npz")
    config = json.loads(str(fitted["config"]))
    header = config["header"]
    tables = {"mix": [fitted[f"mix{j}"].astype(np.float64) for j in range(len(header["mix"]["luts"]))]}
    pre = [[fitted[f"pre{s}_{j}"].astype(np.float64) for j in range(len(stage["luts"]))]
           for s, stage in enumerate(header.get("pre_stages", []))]
    return config, tables | ({"pre": pre} if pre else {})


def save_fit(name: str, config: dict, tables: dict, fits: Path = WORK / "fits") -> Path:
    """Write fits/NAME.npz: the record as JSON and the tables as float32 arrays "mix{j}" and "pre{s}_{j}"."""
    arrays = {f"mix{j}": t.astype(np.float32) for j, t in enumerate(tables["mix"])}
    for s, stage in enumerate(tables.get("pre", [])):
        arrays |= {f"pre{s}_{j}": t.astype(np.float32) for j, t in enumerate(stage)}
    path = fits / f"{name}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, config=json.dumps(config), **arrays)
    return path


def split(x: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [x[offsets[j]:offsets[j + 1]].astype(np.float32) for j in range(len(offsets) - 1)]


def set5_table(header: dict, tables: dict, scales) -> dict[str, float]:
    run = evaluate.model_upscaler(header, tables)
    return {evaluate.scale_key(s): round(evaluate.evaluate_set5(run, s)["mean"], 3) for s in scales}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mix", default="S:7", help='mix luts, e.g. "S:7" or "S:7,D:5,Y:5" (pattern:levels)')
    ap.add_argument("--mix-init", default="", help="start the mix fit from this fit's mix (same luts, bins, "
                    "nodes, interpolators) instead of bicubic everywhere: more iterations on a fit")
    ap.add_argument("--checkpoint-every", type=int, default=0,
                    help="also save the mix every this many CG iterations as work/fits/NAME-itK.npz (0: never; "
                         "8_export_imlut.py takes it as a fit)")
    ap.add_argument("--bins", type=float, nargs="+", default=[1.5, 2, 3, 4])
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--interpolators", default="constant,bilinear,bicubic,lanczos3",
                    help=f"K names (N*N*K <= {imlut.MAX_NODE_VALUES})")
    ap.add_argument("--anchors", type=float, default=1e6, help="LR anchor pixels of the mix fit")
    ap.add_argument("--sample-cap", type=float, default=0.0,
                    help="keep about this many HR samples per anchor at most (0: all)")
    ap.add_argument("--lr-side", type=int, default=46, help="LR crop side (anchors: side - 2 x MARGIN squared)")
    ap.add_argument("--aniso", type=float, default=0.25, help="fraction of crops with sx != sy")
    ap.add_argument("--max-train-scale", type=float, default=4.0)
    ap.add_argument("--hr-long-side", type=int, default=1024)
    ap.add_argument("--prior", type=float, default=1e-2)
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--photos", type=Path, default=WORK / "photos")
    ap.add_argument("--name", required=True)
    args = ap.parse_args()
    t_start = time.time()
    listing = args.photos / "list.tsv"
    if not listing.exists():
        sys.exit(f"fit_imlut: {listing} is missing: run 1_fetch_data.sh first")
    mix_luts = fit3.parse_luts(args.mix)
    names = args.interpolators.split(",")
    try:   # checked before the costly data and build
        header = imlut.make_header(args.name, args.bins, args.nodes, names, mix_luts)
    except ValueError as e:
        sys.exit(f"fit_imlut: {e}")
    if args.mix_init:
        given_config, given_tables = load_fit(args.mix_init)
        given, init = given_config["header"], given_tables["mix"]
        layout = ("scale_bins", "phase_nodes", "interpolators", "mix", "pre_stages")
        if any(given.get(k) != header.get(k) for k in layout):
            raise SystemExit(f"--mix-init {args.mix_init}: its {', '.join(layout)} differ from this fit's")
    photos = [args.photos / line.split("\t")[1] for line in listing.read_text().splitlines() if line]
    planes = photo_planes(photos, args.hr_long_side, WORK / "pairs" / f"photos_y_l{args.hr_long_side}.npz")
    per_crop = (args.lr_side - 2 * MARGIN) ** 2
    crops = draw_crops(planes, int(np.ceil(args.anchors / per_crop)), args.lr_side, args.aniso,
                       args.max_train_scale, args.seed)
    t_data = time.time()
    print(f"{len(crops)} crops in {t_data - t_start:.0f} s")

    def config(iters: int, seconds: dict, psnr: dict | None = None) -> dict:
        """The fit's record (steps 7 and 8 read it): header, settings, times, float Set5 figures."""
        return {"header": header, "mix": args.mix, "prior": args.prior, "iters": iters,
                "mix_init": args.mix_init or None, "sample_cap": args.sample_cap,
                "anchors": int(len(crops) * per_crop), "crops": len(crops),
                "lr_side": args.lr_side, "aniso": args.aniso, "max_train_scale": args.max_train_scale,
                "hr_long_side": args.hr_long_side, "seed": args.seed, "photos": [p.name for p in photos],
                "seconds": seconds, **({"set5_y_psnr_float": psnr} if psnr else {})}

    with memory_returned():
        system = MixSystem(crops, header, args.sample_cap, args.seed + 2)
        print(f"mix system: {system.A} anchors, built in {time.time() - t_data:.0f} s")
        x0 = np.zeros(system.shape)
        if args.mix_init:
            x0[:] = np.concatenate(init)
        elif "bicubic" in names:
            x0.reshape(system.shape[0], -1, len(names))[..., names.index("bicubic")] = 1.0 / (4 * len(mix_luts))
        offsets = system.offsets

        def checkpoint(it, x):
            if args.checkpoint_every and it % args.checkpoint_every == 0 and it < args.iters:
                seconds = {"data": round(t_data - t_start, 1), "mix": round(time.time() - t_data, 1)}
                path = save_fit(f"{args.name}-it{it}", config(it, seconds), {"mix": split(x, offsets)})
                print(f"  mix after {it} iterations -> {path} (score and export it with 8_export_imlut.py)")

        mix = split(solve(system, mix_luts, args.prior, args.iters, x0, callback=checkpoint), offsets)
        del system
    t_fit = time.time()
    psnr = set5_table(header, {"mix": mix}, evaluate.EVAL_SCALES)
    t_end = time.time()
    seconds = {"data": round(t_data - t_start, 1), "mix": round(t_fit - t_data, 1),
               "set5": round(t_end - t_fit, 1), "total": round(t_end - t_start, 1)}
    out = save_fit(args.name, config(args.iters, seconds, psnr), {"mix": mix})
    print(f"{args.name}: Set5 Y PSNR (float tables) {psnr}, fit {t_fit - t_start:.0f} s "
          f"(data {t_data - t_start:.0f} s, mix {t_fit - t_data:.0f} s), Set5 {t_end - t_fit:.0f} s -> {out}")


if __name__ == "__main__":
    main()
