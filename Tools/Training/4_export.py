#!/usr/bin/env python3
"""Step 4: turn fitted tables (work/fits/NAME.npz) into a LUT format v1 file work/models/NAME.lut.

The tables are stored as int8 with one scale per table when that costs at most --max-loss dB of Set5 Y PSNR
against the float tables, else as int16. The measured PSNR of the file as written goes into its metadata.

  python3 4_export.py sdy-x3 [--type auto|int8|int16|float32]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HERE, WORK, step  # noqa: E402
import lutfile  # noqa: E402
import srlut  # noqa: E402

LICENCES = ("the photos' own licences: CC-BY-4.0, CC-BY-SA-3.0, CC-BY-SA-4.0, CC0-1.0, GPL-2+, LGPL-3, GFDL, "
            "public domain, BSD-3-clause (per file in LUTScale's Tools/Training/DATA.md)")


def photo_count() -> int:
    return sum(1 for line in (HERE / "DATA.md").read_text().splitlines() if line.startswith("| ") and
               line[2:4].isdigit())


def export(name: str, type_name: str, max_loss: float, out_dir: Path = WORK / "models",
           fits_dir: Path = WORK / "fits") -> tuple[Path, dict]:
    data = np.load(fits_dir / f"{name}.npz")
    config = json.loads(str(data["config"]))
    tables = [[data[f"table{j}"].astype(np.float64) for j in range(len(config["luts"]))]]
    pairs = config["pairs"]
    shrunk = f" shrunk to a {pairs['hr_long_side']} px long side" if pairs["hr_long_side"] else ""
    metadata = {
        "source": "LUTScale Tools/Training: tables fitted directly by regularised least squares "
                  "(3_fit_srlut.py), rotation ensemble inside the fit",
        "training_data": f"{photo_count()} natural photographs from Debian packages (lomiri-wallpapers, "
                         f"mate-backgrounds, plasma-workspace-wallpapers, palapeli-data, forensics-samples-files, "
                         f"libjxl-testdata){shrunk}, {pairs['channels'].upper()} planes, {config['lr_pixels']} LR pixels "
                         f"made with MATLAB-compatible bicubic x1/{config['scale']}; list in Tools/Training/DATA.md",
        "licence": LICENCES,
        "fit": {k: config[k] for k in ("prior", "iters", "lr_pixels", "seconds")},
    }
    header = srlut.make_header(name, config["scale"], config["luts"], config["residual"], metadata)
    evaluate = step("5_eval").evaluate_set5
    reference = evaluate(header, tables)["mean"]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.lut"
    candidates = ["int8", "int16"] if type_name == "auto" else [type_name]
    for t in candidates:
        lutfile.write(path, header, tables, t)
        got = evaluate(*lutfile.read(path))["mean"]
        if got >= reference - max_loss or t == candidates[-1]:
            break
    metadata["set5_y_psnr"] = {str(config["scale"]): round(got, 3)}
    metadata["set5_y_psnr_float_tables"] = round(reference, 3)
    metadata["set5_protocol"] = ("model run on the LR's 8-bit BT.601 Y plane, PSNR of Y with shave = scale "
                                 "(shared/README.md), NumPy inference of Tools/Training/5_eval.py")
    written = lutfile.write(path, header, tables, t)
    return path, {"type": t, "psnr": got, "float_psnr": reference, "bytes": path.stat().st_size, "header": written}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="+", help="fit names (work/fits/NAME.npz)")
    ap.add_argument("--type", choices=["auto", "int8", "int16", "float32"], default="auto")
    ap.add_argument("--max-loss", type=float, default=0.01, help="dB of Set5 PSNR that int8 may lose")
    args = ap.parse_args()
    for name in args.names:
        path, r = export(name, args.type, args.max_loss)
        print(f"{path}: {r['type']}, {r['bytes']} bytes, Set5 Y PSNR {r['psnr']:.3f} dB "
              f"(float tables {r['float_psnr']:.3f})")


if __name__ == "__main__":
    main()
