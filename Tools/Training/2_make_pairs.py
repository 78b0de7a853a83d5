#!/usr/bin/env python3
"""Step 2: LR/HR training pairs per scale from the photos of step 1 (deterministic for a given seed).

Each photo is optionally shrunk (MATLAB bicubic) so that its long side is at most --hr-long-side, converted to the
evaluation's 8-bit Y (BT.601 formula of shared/README.md) or kept as R, G, B planes, modcropped, and downscaled by
the scale with the same imresize that made Set5's LR images. Square patches are then drawn at random: LR
(patch + 2 margin) x (patch + 2 margin) and the HR block of the same area. The margin is context for the look-up
patterns; only the inner patch x patch anchors become training rows.

  python3 2_make_pairs.py --scales 2 3 4 --pixels 8e6
Output: work/pairs/x{s}.npz with lr (P, n, n) uint8, hr (P, n*s, n*s) uint8 (n = patch + 2*margin), src (P,)
photo index, and the settings in "info" (JSON).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, load_rgb, modcrop, y_uint8  # noqa: E402
from imresize import SET5_ROUND_EACH_PASS, imresize  # noqa: E402

MARGIN = 2          # the farthest pattern offset (D and Y reach 2) in any rotation


def photo_planes(path: Path, long_side: int, channels: str) -> list[np.ndarray]:
    rgb = load_rgb(path)
    h, w = rgb.shape[:2]
    if long_side and max(h, w) > long_side:
        f = long_side / max(h, w)
        rgb = imresize(rgb, out_shape=(round(h * f), round(w * f)))
    if channels == "y":
        return [y_uint8(rgb)]
    return [np.ascontiguousarray(rgb[..., c]) for c in range(3)]


def make_pairs(photos: list[Path], scale: int, pixels: float, patch: int, long_side: int, channels: str,
               seed: int, min_std: float) -> dict[str, np.ndarray]:
    n = patch + 2 * MARGIN
    planes = []                       # (photo index, HR plane, LR plane)
    for i, path in enumerate(photos):
        for hr in photo_planes(path, long_side, channels):
            hr = modcrop(hr, scale)
            lr = imresize(hr, 1.0 / scale, round_each_pass=SET5_ROUND_EACH_PASS.get(scale, False))
            planes.append((i, hr, lr))
    areas = np.array([max(lr.shape[0] - n, 0) * max(lr.shape[1] - n, 0) for _, _, lr in planes], dtype=np.float64)
    want = int(round(pixels / (patch * patch)))
    rng = np.random.default_rng(seed * 1000 + scale)
    counts = rng.multinomial(want, areas / areas.sum())
    lrs, hrs, src = [], [], []
    for (i, hr, lr), count in zip(planes, counts):
        taken = 0
        for _ in range(count * 4):            # bounded retries when patches are rejected as flat
            if taken == count:
                break
            y = int(rng.integers(0, lr.shape[0] - n + 1))
            x = int(rng.integers(0, lr.shape[1] - n + 1))
            lp = lr[y:y + n, x:x + n]
            if min_std and lp.std() < min_std:
                continue
            lrs.append(lp)
            hrs.append(hr[y * scale:(y + n) * scale, x * scale:(x + n) * scale])
            src.append(i)
            taken += 1
    order = rng.permutation(len(lrs))        # so that any prefix is a sample of all photos
    return {"lr": np.stack(lrs)[order], "hr": np.stack(hrs)[order], "src": np.array(src, dtype=np.int16)[order]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4])
    ap.add_argument("--pixels", type=float, default=8e6, help="LR anchor pixels per scale (rows of the fit / s^2)")
    ap.add_argument("--patch", type=int, default=48, help="LR anchors per patch side")
    ap.add_argument("--hr-long-side", type=int, default=0, help="shrink photos to this long side first (0: keep)")
    ap.add_argument("--channels", choices=["y", "rgb"], default="y")
    ap.add_argument("--min-std", type=float, default=0.0, help="skip LR patches flatter than this")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--photos", type=Path, default=WORK / "photos")
    ap.add_argument("--out", type=Path, default=WORK / "pairs")
    ap.add_argument("--tag", default="", help="suffix of the output name: x{s}{tag}.npz")
    args = ap.parse_args()
    listing = args.photos / "list.tsv"
    if not listing.exists():
        sys.exit(f"make_pairs: {listing} is missing: run 1_fetch_data.sh first")
    photos = [args.photos / line.split("\t")[1] for line in listing.read_text().splitlines() if line]
    args.out.mkdir(parents=True, exist_ok=True)
    for s in args.scales:
        t0 = time.time()
        pairs = make_pairs(photos, s, args.pixels, args.patch, args.hr_long_side, args.channels, args.seed,
                           args.min_std)
        info = {"scale": s, "patch": args.patch, "margin": MARGIN, "pixels": args.pixels,
                "hr_long_side": args.hr_long_side, "channels": args.channels, "min_std": args.min_std,
                "seed": args.seed, "photos": [p.name for p in photos]}
        out = args.out / f"x{s}{args.tag}.npz"
        np.savez(out, info=json.dumps(info), **pairs)
        print(f"x{s}: {len(pairs['lr'])} patches, {len(pairs['lr']) * args.patch ** 2 / 1e6:.2f} M LR anchors "
              f"-> {out} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
