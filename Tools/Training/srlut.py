"""The "srlut" model semantics of LUT format v1 (docs/lut-format.md) in NumPy: look-up indices, 4-simplex
weights, rotations, stages. Training (3_fit_srlut.py) and evaluation (5_eval.py) both build on these functions, so
what is fitted is what is run.
"""
from __future__ import annotations

import numpy as np

PATTERNS: dict[str, tuple[tuple[int, int], ...]] = {
    "S": ((0, 0), (0, 1), (1, 0), (1, 1)),
    "D": ((0, 0), (0, 2), (2, 0), (2, 2)),
    "Y": ((0, 0), (1, 1), (1, 2), (2, 1)),
    "I": ((0, 0), (0, 1), (0, 2), (0, 3)),   # a line: with rotations a row and a column through the anchor
}


def uniform_levels(count: int) -> list[int]:
    """`count` levels from 0 to 256, as evenly spaced as integers allow (17 gives SR-LUT's q = 16)."""
    return [int(round(256 * i / (count - 1))) for i in range(count)]


def check_levels(levels) -> np.ndarray:
    lv = np.asarray(levels, dtype=np.int64)
    if lv.ndim != 1 or len(lv) < 2 or lv[0] != 0 or lv[-1] != 256 or np.any(np.diff(lv) <= 0):
        raise ValueError(f"levels must ascend strictly from 0 to 256, got {levels}")
    return lv


def simplex_vertices(base: np.ndarray, fracs: np.ndarray, strides: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 4-simplex walk of points in their lattice cells: cell entry indices `base` (...), fractions (..., 4) and
    the lattice's strides -> entry indices (..., 5) and weights (..., 5): the fractions sorted largest first, vertex j
    adds the strides of the j largest, its weight the difference of neighbouring sorted fractions."""
    order = np.argsort(-fracs, axis=-1, kind="stable")
    fs = np.take_along_axis(fracs, order, axis=-1)
    weights = np.concatenate([1.0 - fs[..., :1], fs[..., :3] - fs[..., 1:], fs[..., 3:]], axis=-1)
    idx = np.concatenate([base[..., None], base[..., None] + np.cumsum(strides[order], axis=-1)], axis=-1)
    return idx, weights


def simplex(img: np.ndarray, pattern: str, levels) -> tuple[np.ndarray, np.ndarray]:
    """Entry indices and weights of the 5 simplex vertices for every anchor pixel of uint8 planes (..., H, W).

    Each plane is padded by reflection at the bottom and right (NumPy 'reflect') by the pattern's reach, as the
    format says. Returns idx (..., H, W, 5) int32 and w (..., H, W, 5) float64; the weights sum to 1 per pixel.
    """
    lv = check_levels(levels)
    n = len(lv)
    offsets = PATTERNS[pattern]
    reach = max(max(dy, dx) for dy, dx in offsets)
    h, w = img.shape[-2:]
    padded = np.pad(img, [(0, 0)] * (img.ndim - 2) + [(0, reach), (0, reach)], mode="reflect")
    # cell and fraction of each value 0..255, then gathered per pattern position
    values = np.arange(256)
    cell_of = np.searchsorted(lv, values, side="right") - 1
    frac_of = (values - lv[cell_of]) / (lv[cell_of + 1] - lv[cell_of])
    strides = np.array([n ** 3, n ** 2, n, 1], dtype=np.int64)
    base = np.zeros(img.shape, dtype=np.int64)
    fracs = np.empty(img.shape + (4,), dtype=np.float64)
    for t, (dy, dx) in enumerate(offsets):
        v = padded[..., dy:dy + h, dx:dx + w]
        base += cell_of[v] * strides[t]
        fracs[..., t] = frac_of[v]
    idx, weights = simplex_vertices(base, fracs, strides)
    return idx.astype(np.int32), weights


def block_permutation(r: int, k: int) -> np.ndarray:
    """perm[c] = the table output (rotation-0 raster position) that lands at output position c of the block
    once a block computed on the image rotated by k*90 degrees is rotated back."""
    return np.rot90(np.arange(r * r).reshape(r, r), -k).ravel()


def rotated_simplex(img: np.ndarray, pattern: str, levels, k: int) -> tuple[np.ndarray, np.ndarray]:
    """simplex() on planes (..., H, W) rotated by k*90 degrees (np.rot90), with the results mapped back to the
    pixel grid of the unrotated planes."""
    idx, w = simplex(np.ascontiguousarray(np.rot90(img, k, axes=(-2, -1))), pattern, levels)
    return np.rot90(idx, -k, axes=(-3, -2)), np.rot90(w, -k, axes=(-3, -2))


def lut_values(img: np.ndarray, lut: dict, table: np.ndarray, upscale: int) -> np.ndarray:
    """Sum over the lut's rotations of the interpolated outputs, as an (H*upscale, W*upscale) float64 plane.

    Done literally as the format states: rotate the image, look up and interpolate, place each upscale x upscale
    block, rotate the result back.
    """
    h, w = img.shape
    out = np.zeros((h * upscale, w * upscale), dtype=np.float64)
    for k in range(lut["rotations"]):
        rimg = np.ascontiguousarray(np.rot90(img, k))
        idx, wt = simplex(rimg, lut["pattern"], lut["levels"])
        blocks = np.einsum("hwv,hwvc->hwc", wt, table[idx])          # (h', w', upscale^2)
        hh, ww = rimg.shape
        plane = blocks.reshape(hh, ww, upscale, upscale).transpose(0, 2, 1, 3).reshape(hh * upscale, ww * upscale)
        out += np.rot90(plane, -k)
    return out


def run_stage(img: np.ndarray, stage: dict, tables: list[np.ndarray]) -> np.ndarray:
    """One stage's value plane (float64, before rounding) for a uint8 input plane."""
    r = stage["upscale"]
    value = np.full((img.shape[0] * r, img.shape[1] * r), float(stage.get("bias", 0.0)))
    for lut, table in zip(stage["luts"], tables):
        value += lut_values(img, lut, table, r)
    if stage["residual"]:
        value += np.repeat(np.repeat(img.astype(np.float64), r, axis=0), r, axis=1)
    return value


def to_plane(value: np.ndarray) -> np.ndarray:
    """Clamp to 0...255 and round half to even into a uint8 plane (the format's rule for every stage)."""
    return np.round(np.clip(value, 0.0, 255.0)).astype(np.uint8)


def run_model(img: np.ndarray, header: dict, tables: list[list[np.ndarray]]) -> np.ndarray:
    """Upscale a uint8 plane with an srlut model: header as in the file, tables[stage][lut] as float arrays."""
    if header.get("kind") != "srlut":
        raise ValueError(f"unknown model kind {header.get('kind')!r}")
    plane = img
    for stage, stage_tables in zip(header["stages"], tables):
        plane = to_plane(run_stage(plane, stage, stage_tables))
    return plane


def make_header(name: str, scale: int, luts: list[dict], residual: bool, metadata: dict | None = None) -> dict:
    """Header of a one-stage srlut model (the tables' descriptors are added by lutfile.write)."""
    return {"kind": "srlut", "name": name, "scale": scale,
            "stages": [{"upscale": scale, "residual": residual, "bias": 0.0,
                        "luts": [{"pattern": l["pattern"], "rotations": l["rotations"], "levels": list(l["levels"])}
                                 for l in luts]}],
            "metadata": metadata or {}}
