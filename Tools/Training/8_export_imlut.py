#!/usr/bin/env python3
"""Step 8: turn a fitted (or fine-tuned) imlut model (work/fits/NAME.npz) into a LUT format v1 file work/models/OUT.lut.

Table types, unless --types names them: the first of type_plans (smallest file first: every table int8, then the mix
luts moved to int16 one by one in header order, the pre-stages with them, up to every table int16) whose file fits
--max-bytes and that costs at most --max-loss dB of Set5 Y PSNR at every scale of 9_eval_imlut.py against the float
tables; when none within the loss fits, the largest that fits (at every scale, not on average: the fine-tuned
model's int8 tables lost 0.009 dB on average but 0.017 at x2, and 0.02-0.10 dB on the held-out photos of
Tools/HeldOutEval.py, where smooth areas show the constant's coarser steps). Either way every output column
has its own factor in `output_scales` (lutfile.quantize): the K - 1 dimensionless weights of one (scale bin, phase
node) share a step and are rounded so that their stored sum is their rounded real sum; the constant candidate's
weight (in 8-bit levels, a span some 25 times theirs) has a step of its own per (bin, node). The Set5 figures of
the file as written (and bicubic's, and the extrapolation to x6 and x8) go into its metadata.

  python3 8_export_imlut.py imlut-final --out lutscale-imlut
"""
from __future__ import annotations

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small matrix products: threads only spin
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PROVENANCE_KEYS, WORK, finetunes, step  # noqa: E402
import lutfile  # noqa: E402

export4 = step("4_export")
fit6 = step("6_fit_imlut")
evaluate = step("9_eval_imlut")
EXTRAPOLATION = (6, 8)


def type_plans(mix_luts: int) -> list[dict]:
    """lutfile.write's type_name for each file, smallest first: every table int8, then the first 1, 2, ... mix luts
    int16 (the pre-stages int16 from the first on), up to every table int16."""
    return [{"pre": "int8" if i == 0 else "int16", "mix": ["int16"] * i + ["int8"] * (mix_luts - i)}
            for i in range(mix_luts + 1)]


def set5(header: dict, tables: dict, scales) -> dict[str, float]:
    run = evaluate.model_upscaler(header, tables)
    return {evaluate.scale_key(s): round(evaluate.evaluate_set5(run, s)["mean"], 3) for s in scales}


def _pre_stages(header: dict) -> str:
    """The words for a model's pre-stages, in step 7's --pre terms ("S:9", stages joined by ", then ")."""
    stages = [",".join(f"{lut['pattern']}:{len(lut['levels'])}" for lut in stage["luts"])
              for stage in header.get("pre_stages", [])]
    if not stages:
        return ""
    return (" with a pre-stage " if len(stages) == 1 else " with pre-stages ") + ", then ".join(stages)


def _crops(finetune: dict) -> str:
    sides = finetune["long_sides"]
    return (f"crops of the same photos shrunk to {' / '.join(map(str, sides))} px long side"
            + ("s" if len(sides) > 1 else "") + (", half of them mirrored" if finetune.get("flip") else ""))


def _finetune_data(config: dict) -> str:
    """What the fine-tuning drew its crops from, where that differs from the fit's photos."""
    finetune = config.get("finetune") or {}
    sides = finetune.get("long_sides", [config["hr_long_side"]])
    if not finetune or (sides == [config["hr_long_side"]] and not finetune.get("flip")):
        return ""
    return "; fine-tuned on " + _crops(dict(finetune, long_sides=sides))


def provenance(config: dict, header: dict) -> dict:
    """The metadata of how a model was made: its fit's record, or, when step 7 started from a model file, that
    file's, then every fine-tuning in order ("earlier_finetunes", then "finetune")."""
    done = finetunes(config)
    start = config.get("start_model")
    if start:       # fine-tuned from a model file: how that file was made, then this fine-tuning
        made = {k: start[k] for k in PROVENANCE_KEYS if k in start}
        made["source"] = (made.get("source", f"the model file {start['file']}")
                          + f"; fine-tuned again from {start['file']} (7_finetune_imlut.py)")
        made["training_data"] = (made.get("training_data", "not recorded")
                                 + "; fine-tuned again on " + _crops(config["finetune"]))
    else:
        made = {
            "source": "LUTScale Tools/Training: imlut mix tables fitted directly by regularised least squares "
                      "(6_fit_imlut.py), rotations inside the fit" + (
                          ", then fine-tuned by gradient on fresh crops (7_finetune_imlut.py)" + _pre_stages(header)
                          if done else "") + "; every table lookup on the LR grid",
            "training_data": f"{export4.photo_count()} natural photographs from Debian packages (lomiri-wallpapers, "
                             f"mate-backgrounds, plasma-workspace-wallpapers, palapeli-data, forensics-samples-files, "
                             f"libjxl-testdata) shrunk to a {config['hr_long_side']} px long side, Y planes, "
                             f"{config['crops']} crops ({config['anchors']} LR anchors) at scales drawn in "
                             f"[1, {config['max_train_scale']:g}] ({100 * config['aniso']:.0f}% with sx != sy), LR "
                             f"made with MATLAB-compatible bicubic imresize" + _finetune_data(config)
                             + "; list in Tools/Training/DATA.md",
            "licence": export4.LICENCES,
            "fit": {k: config[k] for k in ("mix", "prior", "iters", "sample_cap", "seconds") if k in config},
        }
    return made | ({"finetune": config["finetune"]} if "finetune" in config else {}) | (
        {"earlier_finetunes": done[:-1]} if len(done) > 1 else {})


def export(name: str, out_name: str, max_loss: float, max_bytes: int = 0, out_dir: Path = WORK / "models",
           fits_dir: Path = WORK / "fits", mix_types: list[str] | None = None) -> tuple[Path, dict]:
    config, tables = fit6.load_fit(name, fits_dir)
    header = dict(config["header"], name=out_name)
    if header.get("refine") is not None or "ensemble" in header:
        raise SystemExit(f"{name}: a fit of the previous design (refine / ensemble on the output grid)")
    header.pop("refine", None)          # fits made before the redesign carry "refine": null
    if mix_types is not None and len(mix_types) != len(header["mix"]["luts"]):
        raise SystemExit(f"--types: {len(mix_types)} types for {len(header['mix']['luts'])} mix luts")
    header["metadata"] = provenance(config, header)
    scales = evaluate.EVAL_SCALES
    reference = set5(header, tables, scales)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{out_name}.lut"
    fitting = None
    plans = [{"pre": "int16", "mix": mix_types}] if mix_types else type_plans(len(header["mix"]["luts"]))
    for types in plans:
        lutfile.write(path, header, tables, types)
        if max_bytes and path.stat().st_size > max_bytes:
            break
        got = set5(*lutfile.read(path), scales)
        fitting = types, got
        if max(reference[k] - got[k] for k in reference) <= max_loss:
            break
    if fitting is None:
        raise SystemExit(f"{out_name}: {'these' if mix_types else 'even int8'} tables take {path.stat().st_size} bytes, "
                         f"more than --max-bytes {max_bytes}")
    types, got = fitting
    lutfile.write(path, header, tables, types)
    file_header, file_tables = lutfile.read(path)
    header["metadata"]["set5_y_psnr"] = got
    header["metadata"]["set5_y_psnr_float_tables"] = reference
    header["metadata"]["set5_y_psnr_bicubic"] = {evaluate.scale_key(s): round(evaluate.evaluate_set5(
        evaluate.bicubic, s)["mean"], 3) for s in scales + EXTRAPOLATION}
    header["metadata"]["set5_y_psnr_extrapolated"] = set5(file_header, file_tables, EXTRAPOLATION)
    header["metadata"]["set5_protocol"] = (
        "model run on the LR's 8-bit BT.601 Y plane, PSNR of Y with shave = ceil(scale) (shared/README.md); "
        "LR: Set5's LR_bicubic for x2/x3/x4, else made by Tools/Training/9_eval_imlut.py (HR cropped to a "
        "multiple of p for s = p/q, MATLAB bicubic imresize); NumPy inference of Tools/Training/imlut.py")
    written = lutfile.write(path, header, tables, types)
    return path, {"types": types, "psnr": got, "float_psnr": reference, "bytes": path.stat().st_size,
                  "header": written}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", help="fit name (work/fits/NAME.npz)")
    ap.add_argument("--out", help="model name and file stem (default: the fit name)")
    ap.add_argument("--max-loss", type=float, default=0.01,
                    help="dB of Set5 PSNR (against the float tables) that int8 tables may lose at any scale; else "
                         "more of them int16")
    ap.add_argument("--max-bytes", type=int, default=0,
                    help="largest file allowed (0: no limit); the best within it when none within --max-loss fits")
    ap.add_argument("--types", default="",
                    help='the mix luts\' table types in header order, e.g. "int16,int8,int16" (pre-stages int16), '
                         "instead of the first plan within --max-loss")
    args = ap.parse_args()
    mix_types = args.types.split(",") if args.types else None
    if mix_types and set(mix_types) - {"int8", "int16"}:
        sys.exit(f"export_imlut: --types takes int8 and int16, not {args.types!r}")
    path, r = export(args.name, args.out or args.name, args.max_loss, args.max_bytes, mix_types=mix_types)
    meta = r["header"]["metadata"]
    print(f"{path}: pre-stages {r['types']['pre']}, mix {', '.join(r['types']['mix'])}, {r['bytes']} bytes")
    for k, v in r["psnr"].items():
        print(f"  x{k}: {v:.3f} dB (float tables {r['float_psnr'][k]:.3f}, bicubic {meta['set5_y_psnr_bicubic'][k]:.3f})")
    for k, v in meta["set5_y_psnr_extrapolated"].items():
        print(f"  x{k} (extrapolated): {v:.3f} dB (bicubic {meta['set5_y_psnr_bicubic'][k]:.3f})")


if __name__ == "__main__":
    main()
