#!/usr/bin/env python3
"""Step 9: Set5 Y PSNR of an imlut model at any scale, bicubic beside it, as `lutscale eval` measures it.

LR images: X2, X3, X4 are Set5's own LR_bicubic files (shared/benchmarks). Every other scale s (1.5, 2.5, 3.5,
6, 8, ...) is made here, once, into work/set5/X{s}/NAME.png by this rule: write s = p/q in lowest terms (q <= 16),
crop HR to its top-left multiple of p in each axis, and shrink it with MATLAB bicubic imresize (antialiased, no
rounding between the passes) to exactly (H/p*q, W/p*q). Then LR x s is exactly the cropped HR size, and
`lutscale eval --hr Set5/HR --lr work/set5/X{s} --scale s` compares the same pixels as this script: output size
round(LR x s) per axis, SR and HR over their common top-left area, shave ceil(s), Y of BT.601 from RGB, the model
run on the LR's 8-bit Y plane.

  python3 9_eval_imlut.py work/models/lutscale-imlut.lut --scales 1.5 2 2.5 3 3.5 4 6 8
"""
from __future__ import annotations

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small matrix products: threads only spin (15x slower)
import argparse
import math
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SET5, SET5_NAMES, WORK, load_rgb, psnr_y, rgb_to_y, y_uint8  # noqa: E402
from imresize import imresize  # noqa: E402
import imlut  # noqa: E402
import lutfile  # noqa: E402

EVAL_SCALES = (1.5, 2, 2.5, 3, 3.5, 4)


def scale_key(s: float) -> str:
    """"2", "2.5": how scales name folders and metadata keys."""
    return str(int(s)) if float(s) == int(s) else f"{s:g}"


def lr_dir(scale: float, set5: Path = SET5, work: Path = WORK) -> Path:
    """Folder of Set5 LR images for a scale, made by the module's rule when it is not one of Set5's own."""
    if float(scale) in (2.0, 3.0, 4.0):
        return set5 / "LR_bicubic" / f"X{int(scale)}"
    out = work / "set5" / f"X{scale_key(scale)}"
    if all((out / f"{n}.png").exists() for n in SET5_NAMES):
        return out
    frac = Fraction(scale).limit_denominator(16)
    p, q = frac.numerator, frac.denominator
    out.mkdir(parents=True, exist_ok=True)
    for name in SET5_NAMES:
        hr = load_rgb(set5 / "HR" / f"{name}.png")
        h, w = hr.shape[0] // p * p, hr.shape[1] // p * p
        lr = imresize(hr[:h, :w], out_shape=(h // p * q, w // p * q))
        Image.fromarray(lr).save(out / f"{name}.png")
    return out


def output_size(h: int, w: int, scale: float) -> tuple[int, int]:
    """round(size x scale) per axis, halves away from zero (Swift's rounded())."""
    return int(math.floor(h * scale + 0.5)), int(math.floor(w * scale + 0.5))


def bicubic(plane: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """The baseline of `lutscale eval`: Keys bicubic, centre-aligned, edges clamped, rounded to 8 bits."""
    c = imlut.candidates(plane, out_h, out_w, ["bicubic"])[..., 0]
    return np.round(np.clip(c, 0, 255)).astype(np.uint8)


def evaluate_set5(upscale, scale: float, set5: Path = SET5) -> dict[str, float]:
    """Per-image Y PSNR and the mean ("mean") of upscale(plane, out_h, out_w) -> uint8 plane."""
    folder = lr_dir(scale, set5)
    result = {}
    for name in SET5_NAMES:
        hr_y = rgb_to_y(load_rgb(set5 / "HR" / f"{name}.png"))
        lr = y_uint8(load_rgb(folder / f"{name}.png"))
        sr = upscale(lr, *output_size(*lr.shape, scale)).astype(np.float64)
        result[name] = psnr_y(sr, hr_y, scale)
    result["mean"] = float(np.mean([result[n] for n in SET5_NAMES]))
    return result


def model_upscaler(header: dict, tables: dict):
    return lambda plane, out_h, out_w: imlut.run_model(plane, out_h, out_w, header, tables)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="imlut .lut file")
    ap.add_argument("--scales", type=float, nargs="+", default=list(EVAL_SCALES))
    args = ap.parse_args()
    header, tables = lutfile.read(args.model)
    run = model_upscaler(header, tables)
    print(f"{'scale':>6} {header['name']:>16} {'bicubic':>8}   (Set5 Y PSNR, dB)")
    for s in args.scales:
        m, b = evaluate_set5(run, s)["mean"], evaluate_set5(bicubic, s)["mean"]
        print(f"{scale_key(s):>6} {m:16.3f} {b:8.3f}")


if __name__ == "__main__":
    main()
