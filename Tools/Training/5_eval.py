#!/usr/bin/env python3
"""Step 5: Set5 Y PSNR of a .lut model, by the protocol of shared/README.md, with the NumPy inference of srlut.py.

  python3 5_eval.py work/models/srlut-sdy-x3.lut            # the model runs on the LR's Y plane (8-bit)
  python3 5_eval.py MODEL.lut --rgb                          # runs on R, G, B separately, then takes Y
  python3 5_eval.py --srlut-npy ../../../shared/reference/srlut/Model_S_x3_4bit_int8.npy --scale 3
                                                             # the published SR-LUT table, converted to v1
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SET5, SET5_NAMES, load_rgb, psnr_y, rgb_to_y, y_uint8  # noqa: E402
import lutfile  # noqa: E402
import srlut  # noqa: E402


def evaluate_set5(header: dict, tables, rgb: bool = False, set5: Path = SET5) -> dict[str, float]:
    """Per-image Y PSNR and their mean (key "mean")."""
    scale = int(header["scale"])
    result = {}
    for name in SET5_NAMES:
        hr = load_rgb(set5 / "HR" / f"{name}.png")
        lr = load_rgb(set5 / "LR_bicubic" / f"X{scale}" / f"{name}.png")
        if rgb:
            sr = np.stack([srlut.run_model(lr[..., c], header, tables) for c in range(3)], axis=-1)
            sr_y = rgb_to_y(sr)
        else:
            sr_y = srlut.run_model(y_uint8(lr), header, tables).astype(np.float64)
        result[name] = psnr_y(sr_y, rgb_to_y(hr), scale)
    result["mean"] = float(np.mean([result[n] for n in SET5_NAMES]))
    return result


def srlut_reference(npy: Path, scale: int) -> tuple[dict, list[list[np.ndarray]]]:
    """The published SR-LUT table (int8, shape (17^4, 1, r, r)) as a v1 header and tables."""
    table = np.load(npy).reshape(17 ** 4, scale * scale).astype(np.float64)
    header = {"kind": "srlut", "name": f"srlut-s-x{scale}-reference", "scale": scale,
              "stages": [{"upscale": scale, "residual": False, "bias": 0.0,
                          "luts": [{"pattern": "S", "rotations": 4, "levels": srlut.uniform_levels(17)}]}],
              "metadata": {"source": "SR-LUT (Jo & Kim, CVPR 2021) published table"}}
    return header, [[table]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", type=Path, help=".lut file")
    ap.add_argument("--srlut-npy", type=Path, help="evaluate a published SR-LUT .npy table instead")
    ap.add_argument("--scale", type=int, help="scale of --srlut-npy")
    ap.add_argument("--rgb", action="store_true", help="run on R, G, B and take Y of the result")
    ap.add_argument("--write", type=Path, help="with --srlut-npy: also write it as a .lut file here")
    args = ap.parse_args()
    if args.srlut_npy:
        if not args.scale:
            ap.error("--srlut-npy needs --scale")
        header, tables = srlut_reference(args.srlut_npy, args.scale)
        if args.write:
            lutfile.write(args.write, header, tables, "int8")
            header, tables = lutfile.read(args.write)
    elif args.model:
        header, tables = lutfile.read(args.model)
    else:
        ap.error("give a .lut file or --srlut-npy")
    res = evaluate_set5(header, tables, rgb=args.rgb)
    print(" ".join(f"{k} {v:.3f}" for k, v in res.items() if k != "mean"))
    print(f"{header['name']} x{header['scale']} Set5 Y PSNR {res['mean']:.3f} dB ({'RGB' if args.rgb else 'Y'} input)")


if __name__ == "__main__":
    main()
