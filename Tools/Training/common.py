"""Small shared helpers: image loading, the evaluation protocol's Y channel and PSNR, paths."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SHARED = HERE.parents[2] / "shared"          # <repo>/../shared
SET5 = SHARED / "benchmarks" / "Set5"
SET5_NAMES = ("baby", "bird", "butterfly", "head", "woman")


def load_rgb(path: Path | str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range luma as float64, the protocol's formula (shared/README.md)."""
    x = rgb.astype(np.float64)
    return 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0


def y_uint8(rgb: np.ndarray) -> np.ndarray:
    """The Y plane as the 8-bit input a LUT sees."""
    return np.clip(np.round(rgb_to_y(rgb)), 0, 255).astype(np.uint8)


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def psnr_y(sr_y: np.ndarray, hr_y: np.ndarray, scale: float) -> float:
    """PSNR (peak 255) of two Y planes after cropping HR to the SR size and shaving ceil(scale) pixels."""
    h, w = sr_y.shape
    hr_y = hr_y[:h, :w]
    s = int(math.ceil(scale))
    d = sr_y[s:-s, s:-s].astype(np.float64) - hr_y[s:-s, s:-s].astype(np.float64)
    return 10.0 * math.log10(255.0 ** 2 / np.mean(d * d))
