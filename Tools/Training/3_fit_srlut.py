#!/usr/bin/env python3
"""Step 3: fit the tables of a one-stage srlut model directly by regularised least squares.

Once the input fixes which entries are read and with which simplex weights, every HR sample is linear in the
tables: sample (p, c) = sum over luts, rotations k, vertices v of w[k,v] * T[idx[k,v], perm_k[c]] (+ the anchor
pixel when --residual). So all luts of the stage (e.g. S + D + Y) and the rotation ensemble are fitted together by
solving the normal equations (F'F + lam D'D) T = F'b, where D takes second (or first, --order 1) differences
between neighbouring entries of each table: a smoothness prior that also fills entries the data never reaches.

The operator is matrix-free in the sense that F'F is never formed: F is kept as one CSR matrix W of the simplex
weights, rows = (rotation, LR pixel), columns = entries of all tables, 5 non-zeros per lut per row, so F T is W T
followed by a permutation of each rotation's output block, and F'R is the reverse. Memory is O(rows), about
(80 x luts + 4 r^2) bytes per LR pixel and rotation (W, its transpose, one output block). Jacobi-preconditioned
conjugate gradient solves it.

  python3 3_fit_srlut.py --scale 3 --luts S:17,D:9,Y:9 --residual --prior 0.1 --name sdy-x3
Output: work/fits/NAME.npz (tables + config as JSON), with Set5 Y PSNR of the float tables printed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, step  # noqa: E402
import srlut  # noqa: E402


def parse_luts(spec: str) -> list[dict]:
    """"S:17,D:9" -> [{"pattern": "S", "rotations": 4, "levels": [...]}, ...]; "S:0-16-...-256" lists levels."""
    luts = []
    for item in spec.split(","):
        pattern, _, lv = item.partition(":")
        if pattern not in srlut.PATTERNS:
            raise SystemExit(f"unknown pattern {pattern!r}")
        levels = [int(v) for v in lv.split("-")] if "-" in lv else srlut.uniform_levels(int(lv or 17))
        srlut.check_levels(levels)
        luts.append({"pattern": pattern, "rotations": 4, "levels": levels})
    return luts


class System:
    """The fit's data: W (4N x E CSR), its transpose, targets b (N x r^2), and table offsets."""

    def __init__(self, lr: np.ndarray, hr: np.ndarray, scale: int, margin: int, luts: list[dict],
                 residual: bool, chunk: int = 256):
        p, n, _ = lr.shape
        inner = n - 2 * margin
        self.n_rows = p * inner * inner
        self.r2 = scale * scale
        self.sizes = [len(l["levels"]) ** 4 for l in luts]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.n_entries = int(self.offsets[-1])
        k_nnz = 5 * len(luts)
        cols = np.empty((4, self.n_rows, k_nnz), dtype=np.int32)
        vals = np.empty((4, self.n_rows, k_nnz), dtype=np.float32)
        row = 0
        for c0 in range(0, p, chunk):
            block = lr[c0:c0 + chunk]
            rows = len(block) * inner * inner
            for k in range(4):
                for j, lut in enumerate(luts):
                    idx, w = srlut.rotated_simplex(block, lut["pattern"], lut["levels"], k)
                    sl = (slice(None), slice(margin, margin + inner), slice(margin, margin + inner))
                    cols[k, row:row + rows, 5 * j:5 * j + 5] = idx[sl].reshape(-1, 5) + self.offsets[j]
                    vals[k, row:row + rows, 5 * j:5 * j + 5] = w[sl].reshape(-1, 5)
            row += rows
        total = 4 * self.n_rows
        self.W = sp.csr_matrix((vals.reshape(-1), cols.reshape(-1),
                                np.arange(0, total * k_nnz + 1, k_nnz, dtype=np.int64)),
                               shape=(total, self.n_entries))
        del cols, vals
        self.WT = self.W.T.tocsr()
        s, m = scale, margin
        hr_in = hr[:, m * s:(m + inner) * s, m * s:(m + inner) * s].astype(np.float32)
        b = hr_in.reshape(p, inner, s, inner, s).transpose(0, 1, 3, 2, 4).reshape(-1, self.r2)
        if residual:
            b -= lr[:, m:m + inner, m:m + inner].reshape(-1, 1).astype(np.float32)
        self.b = b
        self.perm = [srlut.block_permutation(scale, k) for k in range(4)]
        self.inv = [np.argsort(pk) for pk in self.perm]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """F x: predicted (residual) HR samples (N, r^2) for tables x (E, r^2)."""
        z = self.W @ x.astype(np.float32, copy=False)
        n = self.n_rows
        y = z[0:n][:, self.perm[0]]
        for k in range(1, 4):
            y += z[k * n:(k + 1) * n][:, self.perm[k]]
        return y

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        """F' r for sample residuals r (N, r^2)."""
        g = np.concatenate([r[:, inv] for inv in self.inv])
        return (self.WT @ g).astype(np.float64)

    def data_diag(self) -> np.ndarray:
        """Diagonal of F'F per entry (the same for every output of an entry)."""
        return np.asarray(self.WT.multiply(self.WT).sum(axis=1)).ravel().astype(np.float64)


def _axis_slices(a: int, start: int, stop: int) -> tuple:
    sl = [slice(None)] * 5
    sl[a] = slice(start, stop)
    return tuple(sl)


def smoothness(x: np.ndarray, offsets: np.ndarray, levels_count: list[int], order: int) -> np.ndarray:
    """D'D x, D = the first (order 1) or second (order 2) differences between neighbouring entries along each
    of the 4 lattice axes of each table. Order 2 leaves functions linear in the inputs unpenalised, so entries
    the data never reaches are extrapolated linearly instead of being pulled towards a constant."""
    out = np.zeros_like(x)
    for j, n in enumerate(levels_count):
        t = x[offsets[j]:offsets[j + 1]].reshape(n, n, n, n, -1)
        o = out[offsets[j]:offsets[j + 1]].reshape(n, n, n, n, -1)
        for a in range(4):
            if order == 1:
                d = np.diff(t, axis=a)
                o[_axis_slices(a, 0, n - 1)] -= d
                o[_axis_slices(a, 1, n)] += d
            else:
                d = np.diff(t, n=2, axis=a)
                o[_axis_slices(a, 0, n - 2)] += d
                o[_axis_slices(a, 1, n - 1)] -= 2 * d
                o[_axis_slices(a, 2, n)] += d
    return out


def smoothness_diag(offsets: np.ndarray, levels_count: list[int], order: int) -> np.ndarray:
    """Diagonal of D'D."""
    out = np.zeros(int(offsets[-1]))
    for j, n in enumerate(levels_count):
        stencil = np.array([-1.0, 1.0]) if order == 1 else np.array([1.0, -2.0, 1.0])
        per_axis = np.zeros(n)
        for start in range(n - len(stencil) + 1):
            per_axis[start:start + len(stencil)] += stencil ** 2
        grid = sum(np.meshgrid(*([per_axis] * 4), indexing="ij"))
        out[offsets[j]:offsets[j + 1]] = grid.ravel()
    return out


def fit(system: System, luts: list[dict], prior: float, iters: int, tol: float, order: int = 2,
        x0: np.ndarray | None = None, callback=None, log=print) -> np.ndarray:
    counts = [len(l["levels"]) for l in luts]
    diag = system.data_diag()
    reached = diag > 0
    # each table's prior weight is relative to the mean data weight of its reached entries (tables with fewer
    # levels see far more data per entry)
    lam = np.zeros(system.n_entries)
    for j in range(len(luts)):
        part = slice(system.offsets[j], system.offsets[j + 1])
        lam[part] = prior * float(diag[part][reached[part]].mean())
    lam = lam[:, None]
    precond = 1.0 / (diag[:, None] + lam * smoothness_diag(system.offsets, counts, order)[:, None])

    def apply(x):
        return system.adjoint(system.forward(x)) + lam * smoothness(x, system.offsets, counts, order)

    log(f"fit: {system.n_rows} LR pixels, {system.n_entries} entries x {system.r2} outputs, "
        f"{100.0 * reached.mean():.1f}% entries reached, lambda {np.unique(lam.round(4)).tolist()}")
    x = np.zeros((system.n_entries, system.r2)) if x0 is None else x0.astype(np.float64)
    return pcg(apply, system.adjoint(system.b), precond, x, iters, tol, callback, log)


def pcg(apply, rhs: np.ndarray, precond, x: np.ndarray, iters: int, tol: float, callback=None,
        log=print) -> np.ndarray:
    """Preconditioned conjugate gradient for apply(x) = rhs from x (updated in place and returned); precond is
    the inverse diagonal (an array) or applies any symmetric positive definite approximate inverse (a function).
    Stops after `iters` iterations or when |r| / |rhs| < tol. callback(it, x) every 10 iterations."""
    precondition = precond if callable(precond) else (lambda v: precond * v)
    r = rhs - apply(x) if np.any(x) else rhs.copy()
    z = precondition(r)
    p = z.copy()
    rz = float(np.vdot(r, z))
    r0 = float(np.linalg.norm(rhs))
    t0 = time.time()
    for it in range(1, iters + 1):
        ap = apply(p)
        alpha = rz / float(np.vdot(p, ap))
        x += alpha * p
        r -= alpha * ap
        rel = float(np.linalg.norm(r)) / r0
        if it % 10 == 0 or rel < tol:
            log(f"  iter {it}: relative residual {rel:.2e} ({time.time() - t0:.0f} s)")
            if callback:
                callback(it, x)
        if rel < tol:
            break
        z = precondition(r)
        rz_new = float(np.vdot(r, z))
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x


def split_tables(x: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [x[offsets[j]:offsets[j + 1]].astype(np.float32) for j in range(len(offsets) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, required=True)
    ap.add_argument("--luts", default="S:17", help='e.g. "S:17,D:9,Y:9" (pattern:level count)')
    ap.add_argument("--residual", action="store_true", help="fit the residual over the anchor pixel")
    ap.add_argument("--prior", type=float, default=0.1, help="smoothness weight, relative to a mean entry's data")
    ap.add_argument("--order", type=int, choices=[1, 2], default=2, help="prior on 1st or 2nd differences")
    ap.add_argument("--pixels", type=float, default=0, help="use only the first N LR anchors of the pairs (0: all)")
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--pairs", type=Path, help="default work/pairs/x{scale}.npz")
    ap.add_argument("--init", help="start from the tables of this earlier fit (same luts and scale)")
    ap.add_argument("--eval-every", type=int, default=0, help="Set5 PSNR every N iterations (to study convergence)")
    ap.add_argument("--name", required=True)
    args = ap.parse_args()
    t_start = time.time()
    pairs_path = args.pairs or WORK / "pairs" / f"x{args.scale}.npz"
    data = np.load(pairs_path)
    info = json.loads(str(data["info"]))
    if info["scale"] != args.scale:
        raise SystemExit(f"{pairs_path} holds x{info['scale']} pairs")
    lr, hr = data["lr"], data["hr"]
    if args.pixels:
        keep = int(np.ceil(args.pixels / info["patch"] ** 2))
        lr, hr = lr[:keep], hr[:keep]
    luts = parse_luts(args.luts)
    system = System(lr, hr, args.scale, info["margin"], luts, args.residual)
    t_built = time.time()
    print(f"built the system in {t_built - t_start:.0f} s")
    evaluate = step("5_eval").evaluate_set5

    def header_for(x):
        return srlut.make_header(args.name, args.scale, luts, args.residual), [split_tables(x, system.offsets)]

    def report(it, x):
        if args.eval_every and it % args.eval_every == 0:
            h, t = header_for(x)
            print(f"    Set5 Y PSNR at iter {it}: {evaluate(h, t)['mean']:.3f}")

    x0 = None
    if args.init:
        start = np.load(WORK / "fits" / f"{args.init}.npz")
        x0 = np.concatenate([start[f"table{j}"] for j in range(len(luts))])
        if x0.shape != (system.n_entries, system.r2):
            raise SystemExit(f"--init {args.init}: tables of shape {x0.shape}, expected {(system.n_entries, system.r2)}")
    x = fit(system, luts, args.prior, args.iters, args.tol, args.order, x0=x0, callback=report)
    t_fit = time.time()
    header, tables = header_for(x)
    psnr = evaluate(header, tables)
    config = {"scale": args.scale, "luts": luts, "residual": args.residual, "prior": args.prior, "order": args.order,
              "iters": args.iters, "tol": args.tol, "init": args.init, "lr_pixels": system.n_rows, "pairs": info,
              "seconds": {"build": round(t_built - t_start, 1), "solve": round(t_fit - t_built, 1),
                          "total": round(t_fit - t_start, 1)},
              "set5_y_psnr_float": round(psnr["mean"], 3)}
    out = WORK / "fits" / f"{args.name}.npz"
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, config=json.dumps(config), **{f"table{j}": t for j, t in enumerate(tables[0])})
    print(f"{args.name}: Set5 Y PSNR {psnr['mean']:.3f} dB (float tables), fit {t_fit - t_start:.0f} s "
          f"(build {t_built - t_start:.0f} s, solve {t_fit - t_built:.0f} s) -> {out}")


if __name__ == "__main__":
    main()
