#!/usr/bin/env python3
"""Smoke run of the imlut fit in seconds: crops of one photo (or, without fetched photos, a synthetic plane) at
random real scales -> mix least-squares fit (the shipped interpolators constant, bilinear, bicubic, lanczos3 on
2 x 2 phase nodes) -> .lut file -> read back -> imlut.py inference. Checks that the fit's rows are the inference: the predicted samples equal the file's
output before rounding on every row. Runnable with pytest or plain python.
"""
from __future__ import annotations

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small matrix products: threads only spin (15x slower)
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, load_rgb, step, y_uint8  # noqa: E402
import imlut  # noqa: E402
import lutfile  # noqa: E402

fit = step("6_fit_imlut")
NAMES = ("constant", "bilinear", "bicubic", "lanczos3")     # the shipped set: 2 x 2 nodes x 4 = 16 values per pixel


def _plane() -> np.ndarray:
    photos = sorted((WORK / "photos").glob("[0-9][0-9]_*"))
    if photos:
        y = y_uint8(load_rgb(photos[0]))
        return y[: y.shape[0] // 4 * 4: 4, : y.shape[1] // 4 * 4: 4]
    # smooth random texture with edges: enough structure for the fit to have something to learn
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:400, 0:400]
    base = 128 + 60 * np.sin(xx / 7.0) * np.cos(yy / 11.0) + 40 * ((xx + 2 * yy) % 97 > 48)
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def run_smoke() -> dict:
    crops = fit.draw_crops([_plane()], 24, 18, aniso=0.3, smax=4.0, seed=1)
    luts = fit.fit3.parse_luts("S:3,Y:2")
    header = imlut.make_header("smoke", [1.5, 2.5, 4], 2, NAMES, luts)
    system = fit.MixSystem(crops, header)
    x0 = np.zeros(system.shape)
    x0.reshape(system.shape[0], -1, len(NAMES))[..., NAMES.index("bicubic")] = 1.0 / 8
    err_bicubic = float(np.mean((system.forward(x0) - system.b) ** 2))
    x = fit.solve(system, luts, 1e-2, 30, x0, log=lambda *_: None)
    mix = fit.split(x, system.offsets)
    predicted = system.forward(x)
    err_mix = float(np.mean((predicted - system.b) ** 2))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "smoke.lut"
        lutfile.write(path, header, {"mix": mix}, "float32")
        read_header, read_tables = lutfile.read(path)
    inferred = []
    for hr, lr in crops:
        ys, xs = fit.inner_rows(lr.shape, hr.shape)
        inferred.append(imlut.run_model(lr, *hr.shape, read_header, read_tables, True)[np.ix_(ys, xs)].ravel())
    inferred = np.concatenate(inferred)
    # without --sample-cap every inner HR sample is a row, in the order of the crops
    assert len(inferred) == len(predicted)
    return {"mix_mismatch": float(np.abs(inferred - predicted).max()), "mse_bicubic": err_bicubic, "mse_mix": err_mix}


def test_smoke_imlut_fit():
    r = run_smoke()
    assert r["mix_mismatch"] < 1e-2, r
    assert r["mse_mix"] < r["mse_bicubic"], r


if __name__ == "__main__":
    print(run_smoke())
