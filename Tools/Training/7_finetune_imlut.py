#!/usr/bin/env python3
"""Step 7: fine-tune a fitted imlut model by gradient (PyTorch on the CPU), optionally adding a pre-stage.

Least squares (step 6) is the optimum of its own data for tables the model is linear in, but memory caps its data
(3 M LR anchors in 24 GB) and a pre-stage (x1 luts refining the LR plane before the mix reads it: a cascade) is
not linear in its tables. Here every step draws fresh crops from the same photos, one scale per batch (like the
fit: isotropic in [1, max-train-scale], a fraction --aniso with sx != sy; LR by MATLAB bicubic imresize), runs the
model's forward (imlut_torch.py, the NumPy reference's arithmetic; pre-stage outputs rounded, the gradient passed
straight through) and takes an Adam step on the mean squared error of the HR samples whose anchor lies MARGIN
inside the crop. The learning rate decays to 0 on a cosine. A new pre-stage starts as the identity (residual, zero
tables) with its own learning rate. --levels first moves mix tables onto finer lattices: the fine-tuning's fresh
crops feed entries that least squares, capped at 3 M anchors, could not (imlut.resample_levels). The start is a
fit (step 6 or 7) or a model file (e.g. the shipped one: its tables as stored, its metadata kept as the record of
how it was made). Deterministic: seeded, one thread by default, deterministic algorithms.

  python3 7_finetune_imlut.py lutscale-imlut --pre S:9 --steps 6000 --name lutscale-imlut-ft
  python3 7_finetune_imlut.py work/models/lutscale-imlut.lut --bins 1.5,2,3,3.5,4 --nodes 2,2,2,3,2 --name again
Output: work/fits/NAME.npz in step 6's layout (tables "pre{s}_{j}" beside "mix{j}"), Set5 Y PSNR of the float
tables printed per scale and recorded.
"""
from __future__ import annotations

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PROVENANCE_KEYS, WORK, finetunes, step  # noqa: E402
import imlut  # noqa: E402
import imlut_torch  # noqa: E402
import lutfile  # noqa: E402

fit6 = step("6_fit_imlut")
fit3 = step("3_fit_srlut")
evaluate = step("9_eval_imlut")


def batches(planes: list[np.ndarray], size: int, lr_side: int, aniso: float, smax: float, seed: int,
            flip: bool = False):
    """Endless (LR batch (B, side, side), HR batch (B, H, W)) pairs, one scale per batch drawn as step 6 draws a
    crop's, photos drawn at random, each pair mirrored left-right with probability 1/2 when `flip` (deterministic
    for a seed)."""
    rng = np.random.default_rng(seed)
    while True:
        hr_size = fit6.draw_hr_size(rng, lr_side, aniso, smax)
        pairs = []
        while len(pairs) < size:
            pair = fit6.cut_pair(planes[int(rng.integers(len(planes)))], hr_size, lr_side, rng)
            if pair is not None:
                if flip and rng.random() < 0.5:
                    pair = (pair[0][:, ::-1], pair[1][:, ::-1])
                pairs.append(pair)
        yield np.stack([lr for _, lr in pairs]), np.stack([hr for hr, _ in pairs])


def load_start(start: str) -> tuple[dict, dict]:
    """The record and float64 tables to fine-tune: a fit (work/fits/NAME.npz) or a model file (a .lut path: its
    tables as the engine reads them). A file's metadata becomes the record's "start_model" (how it was made, for
    step 8), its last fine-tuning the record's "finetune", whose largest scale is the default here (a file records
    no single photo size: --long-sides is needed)."""
    if not start.endswith(".lut"):
        return fit6.load_fit(start)
    try:
        header, tables = lutfile.read(start)
    except (OSError, lutfile.LutFileError) as e:
        raise ValueError(f"{start}: {e}") from e
    if header.get("kind") != "imlut":
        raise ValueError(f"{start}: a {header.get('kind')} model, not an imlut one")
    made = header.get("metadata", {})
    header = imlut.make_header(header["name"], header["scale_bins"], header["phase_nodes"], header["interpolators"],
                               header["mix"]["luts"], header["max_scale"], {},
                               [stage["luts"] for stage in header.get("pre_stages", [])])
    record = {"header": header, "start_model": {"file": Path(start).name} | {
        k: made[k] for k in PROVENANCE_KEYS if k in made}}
    if "finetune" in made:
        record |= {"finetune": made["finetune"], "earlier_finetunes": made.get("earlier_finetunes", []),
                   "max_train_scale": made["finetune"]["max_train_scale"]}
    return record, tables


def drop_luts(header: dict, tables: dict, patterns: set[str]) -> tuple[dict, dict]:
    """The model without the mix luts of these patterns (a pre-stage can take their lookups' time)."""
    luts = header["mix"]["luts"]
    missing = patterns - {lut["pattern"] for lut in luts}
    if missing:
        raise ValueError(f"no mix lut of pattern {', '.join(sorted(missing))}")
    keep = [j for j, lut in enumerate(luts) if lut["pattern"] not in patterns]
    if not keep:
        raise ValueError("the mix needs one lut at least")
    return (dict(header, mix={"luts": [luts[j] for j in keep]}),
            dict(tables, mix=[tables["mix"][j] for j in keep]))


def add_pre_stages(header: dict, tables: dict, stages: list[str], rotations: int) -> tuple[dict, dict]:
    """The model with a cascade of pre-stages in front of its mix, one per entry of `stages` ("S:9" or "S:9,D:9":
    its luts as pattern:levels), in order, each the identity (residual, zero tables) until fine-tuned."""
    pre_luts = [[dict(lut, rotations=rotations) for lut in fit3.parse_luts(stage)] for stage in stages]
    header = imlut.make_header(header["name"], header["scale_bins"], header["phase_nodes"], header["interpolators"],
                               header["mix"]["luts"], header["max_scale"], header["metadata"], pre_luts)
    return header, dict(tables, pre=[[np.zeros((len(l["levels"]) ** 4, 1)) for l in stage] for stage in pre_luts])


def reshape_model(header: dict, tables: dict, bins=None, nodes=None) -> tuple[dict, dict]:
    """The same model on more scale bins (imlut.insert_bins; a superset of the old ones) and/or more phase nodes
    (imlut.refine_nodes; one count for every bin or one per bin), its pre-stages kept."""
    mix = tables["mix"]
    if bins is not None:
        mix = [imlut.insert_bins(t, header, bins) for t in mix]
        added = {b: imlut.plan_nodes(header, imlut.bin_weights(b, header["scale_bins"])) for b in bins}
        old = dict(zip(header["scale_bins"], imlut.bin_nodes(header)))
        header = dict(header, scale_bins=list(bins), phase_nodes=[old.get(b, added[b]) for b in bins])
    if nodes is not None:
        nodes = list(nodes) if len(nodes) > 1 else list(nodes) * len(header["scale_bins"])
        if len(nodes) != len(header["scale_bins"]):
            raise ValueError(f"{len(nodes)} node counts for {len(header['scale_bins'])} scale bins")
        mix = [imlut.refine_nodes(t, header, nodes) for t in mix]
        header = dict(header, phase_nodes=nodes)
    header = imlut.make_header(header["name"], header["scale_bins"], header["phase_nodes"], header["interpolators"],
                               header["mix"]["luts"], header["max_scale"], header["metadata"],
                               [stage["luts"] for stage in header.get("pre_stages", [])])
    return header, dict(tables, mix=mix)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fit", help="the fit to start from (work/fits/FIT.npz, step 6 or 7), or a model file (.lut)")
    ap.add_argument("--pre", action="append", default=[],
                    help='luts of a pre-stage to add, e.g. "S:9" (pattern:levels, comma-separated); repeated, a '
                         "cascade of pre-stages in order")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=16, help="crops per step (all at one scale)")
    ap.add_argument("--drop", default="", help='mix luts to remove first, e.g. "Y" (patterns, comma-separated): '
                    "with --pre, a pre-stage takes their lookups' time")
    ap.add_argument("--levels", default="", help='mix luts to give more levels first, e.g. "S:9,D:7" '
                    "(pattern:levels): each table resampled onto the new lattice (the same function where the new "
                    "levels refine the old) for the gradient to use; least squares has too little data per entry")
    ap.add_argument("--bins", default="",
                    help='scale bins to carry the mix to first, e.g. "1.5,2,3,3.5,4" (the old ones and more: each '
                         "new bin the old blend at its scale, the same model, imlut.insert_bins)")
    ap.add_argument("--nodes", default="",
                    help='carry the mix to this many phase nodes per axis first, e.g. "3" from 2 or one count per '
                         'scale bin, "2,2,2,3,3" (the same model, imlut.refine_nodes) for the gradient to use')
    ap.add_argument("--pre-rotations", type=int, choices=(1, 4), default=4,
                    help="rotations of each pre-stage lut (1: a quarter of the lookups)")
    ap.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate of the mix tables")
    ap.add_argument("--lr-pre", type=float, default=3e-2, help="Adam learning rate of the pre-stage tables")
    ap.add_argument("--lr-side", type=int, default=46)
    ap.add_argument("--aniso", type=float, default=0.25)
    ap.add_argument("--max-train-scale", type=float, default=0, help="default: the fit's")
    ap.add_argument("--flip", action="store_true",
                    help="mirror half the crops left-right (with the luts' 4 rotations: all 8 orientations)")
    ap.add_argument("--long-sides", default="", help='photo sizes to draw crops from, e.g. "1024,1448" (each '
                    "photo shrunk to each long side); default: the fit's")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--photos", type=Path, default=WORK / "photos")
    ap.add_argument("--name", required=True)
    args = ap.parse_args()
    t_start = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    try:
        config, tables = load_start(args.fit)
    except ValueError as e:
        sys.exit(f"finetune_imlut: {e}")
    header = dict(config["header"], name=args.name)
    if args.drop:
        try:
            header, tables = drop_luts(header, tables, set(args.drop.split(",")))
        except ValueError as e:
            sys.exit(f"finetune_imlut: --drop: {e}")
    if args.levels:
        refined = {lut["pattern"]: lut["levels"] for lut in fit3.parse_luts(args.levels)}
        luts = header["mix"]["luts"]
        if set(refined) - {lut["pattern"] for lut in luts}:
            sys.exit(f"finetune_imlut: --levels names a pattern that {args.fit} has no mix lut of")
        tables["mix"] = [imlut.resample_levels(t, lut["levels"], refined.get(lut["pattern"], lut["levels"]))
                         for lut, t in zip(luts, tables["mix"])]
        header["mix"] = {"luts": [dict(lut, levels=refined.get(lut["pattern"], lut["levels"])) for lut in luts]}
    if args.bins or args.nodes:
        try:
            bins = [float(v) for v in args.bins.split(",")] if args.bins else None
            nodes = [int(v) for v in args.nodes.split(",")] if args.nodes else None
            header, tables = reshape_model(header, tables, bins, nodes)
        except ValueError as e:
            sys.exit(f"finetune_imlut: --bins / --nodes: {e}")
    if args.pre:
        if header.get("pre_stages"):
            sys.exit(f"finetune_imlut: {args.fit} has a pre-stage already")
        header, tables = add_pre_stages(header, tables, args.pre, args.pre_rotations)
    model = imlut_torch.Model(header, tables)
    groups = [{"params": list(model.mix), "lr": args.lr}] + ([{"params": list(model.pre), "lr": args.lr_pre}]
                                                             if len(model.pre) else [])
    optimiser = torch.optim.Adam(groups)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, args.steps)
    listing = args.photos / "list.tsv"
    photos = [args.photos / line.split("\t")[1] for line in listing.read_text().splitlines() if line]
    try:
        long_sides = [int(v) for v in args.long_sides.split(",")] if args.long_sides else [config["hr_long_side"]]
    except ValueError:
        sys.exit(f"finetune_imlut: --long-sides takes pixel counts separated by commas, not {args.long_sides!r}")
    except KeyError:
        sys.exit(f"finetune_imlut: {args.fit} records no photo size it was trained on: pass --long-sides")
    smax = args.max_train_scale or config.get("max_train_scale")
    if not smax:
        sys.exit(f"finetune_imlut: {args.fit} records no scales it was trained on: pass --max-train-scale")
    largest = round(args.lr_side * smax)
    if min(long_sides) < largest:
        sys.exit(f"finetune_imlut: every --long-sides entry must hold the largest crop, {largest} px")
    planes = [plane for side in long_sides
              for plane in fit6.photo_planes(photos, side, WORK / "pairs" / f"photos_y_l{side}.npz")]
    data = batches(planes, args.batch, args.lr_side, args.aniso, smax, args.seed + 7, args.flip)
    side = args.lr_side
    running, t_train = 0.0, time.time()
    for it in range(1, args.steps + 1):
        lr, hr = next(data)
        ys, xs = fit6.inner_rows((side, side), hr.shape[1:])
        m = model(torch.tensor(lr, dtype=torch.float32), *hr.shape[1:])
        d = m[:, ys][:, :, xs] - torch.tensor(hr[:, ys][:, :, xs], dtype=torch.float32)
        loss = (d * d).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running += loss.item()
        if it % 200 == 0:
            print(f"  step {it}: mean squared error {running / 200:.3f} ({time.time() - t_train:.0f} s)", flush=True)
            running = 0.0
    t_fit = time.time()
    tables = model.tables()
    psnr = fit6.set5_table(header, tables, evaluate.EVAL_SCALES)
    t_end = time.time()
    seconds = {"finetune": round(t_fit - t_start, 1), "set5": round(t_end - t_fit, 1)}
    earlier = finetunes(config)
    record = dict(config, header=header, set5_y_psnr_float=psnr, **({"earlier_finetunes": earlier} if earlier else {}),
                  finetune={"from": args.fit, "drop": args.drop or None, "levels": args.levels or None,
                            "bins": args.bins or None, "nodes": args.nodes or None,
                            "pre": "/".join(args.pre) or None,
                            "pre_rotations": args.pre_rotations, "steps": args.steps, "batch": args.batch,
                            "lr": args.lr, "lr_pre": args.lr_pre, "lr_side": side, "aniso": args.aniso,
                            "max_train_scale": smax, "flip": args.flip, "long_sides": long_sides,
                            "seed": args.seed, "threads": args.threads,
                            "seconds": seconds})
    out = fit6.save_fit(args.name, record, tables)
    print(f"{args.name}: Set5 Y PSNR (float tables) {psnr}, fine-tuning {t_fit - t_start:.0f} s, "
          f"Set5 {t_end - t_fit:.0f} s -> {out}")


if __name__ == "__main__":
    main()
