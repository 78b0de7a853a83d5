"""Small shared helpers: image loading, the evaluation protocol's Y channel and PSNR, paths."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SHARED = Path(os.environ.get("LUTSCALE_SHARED", HERE.parents[2] / "shared"))   # default <repo>/../shared
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
    """PSNR (peak 255) of two Y planes cropped to their common size (an x3 output of a ceil(HR/3) LR is up to
    2 pixels larger than HR; a modcropped HR is smaller), shaving ceil(scale) pixels."""
    h, w = min(sr_y.shape[0], hr_y.shape[0]), min(sr_y.shape[1], hr_y.shape[1])
    sr_y, hr_y = sr_y[:h, :w], hr_y[:h, :w]
    s = int(math.ceil(scale))
    d = sr_y[s:-s, s:-s].astype(np.float64) - hr_y[s:-s, s:-s].astype(np.float64)
    return 10.0 * math.log10(255.0 ** 2 / np.mean(d * d))


# What a model file's metadata says of how it was made, kept when step 7 starts from the file (step 8 writes it on).
PROVENANCE_KEYS = ("source", "training_data", "licence", "fit")


def finetunes(record: dict) -> list[dict]:
    """Every fine-tuning a fit's record holds, in order: the earlier ones, then its last ("finetune")."""
    return record.get("earlier_finetunes", []) + ([record["finetune"]] if "finetune" in record else [])


def step(name: str):
    """Import one of the numbered step scripts (e.g. "5_eval") as a module."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
