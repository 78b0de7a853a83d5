#!/usr/bin/env python3
"""Mean Y PSNR on held-out natural photos (issue #17), measured the way users get it: the release CLI run as
`lutscale LR.png -o SR.png --scale S [--model M]` on PNG files, the output PNG read back.

  python3 Tools/HeldOutEval.py [--scales 2 2.5 3 3.5 4] [--models auto lutscale-imlut bicubic]
  LUTSCALE=path/to/lutscale MODELS="auto lutscale-imlut bicubic" python3 Tools/HeldOutEval.py

Photos: the rows `| HNN |` of Tools/Training/DATA.md ("Held-out photos"), fetched from Debian packages with
`apt-get download` + `dpkg-deb -x` (nothing is installed) into Tools/Training/work/heldout/ (a warning when a file's
SHA-256 differs from the table's). None of them is a training photo.
HR: each photo shrunk with MATLAB bicubic imresize (antialiased) to 1024 px on its long side when it is longer, as
the training photos are (6_fit_imlut.py --hr-long-side 1024), so that detail is in the regime of Set5's images.
LR for s = p/q (q <= 16): HR cropped to its top-left multiple of p in each axis and shrunk by imresize to exactly
(H/p*q, W/p*q), the rule of 9_eval_imlut.py (at x2 and x3 with rounding between the passes, as Set5's LR files were
made), saved as PNG; the CLI's output is then exactly the cropped HR size.
PSNR: the protocol of ../shared/README.md (Y of BT.601 from RGB, shave ceil(s), peak 255, mean over photos).
Baselines: `--model bicubic` of the CLI (Keys bicubic on Y, through the CLI's RGB <-> YUV conversion) when it is in
--models, and "MATLAB bicubic": imresize up of the LR's 8-bit Y plane, the baseline of every published figure
(it gives Set5's 33.66 / 30.40 / 28.42 at x2 / x3 / x4). Gains are given over both; issue #17's goals are over
the MATLAB one, and a second table gives them per package. Per-photo figures go to
Tools/Training/work/heldout/l1024/per_photo.tsv (l: the --long-side). `--set5` runs the
same pipeline on Set5's HR images instead (no shrink), to check it against `lutscale eval`.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "Tools" / "Training"
sys.path.insert(0, str(TRAINING))
from common import SET5, SET5_NAMES, WORK, load_rgb, psnr_y, rgb_to_y, step, y_uint8  # noqa: E402
from imresize import SET5_ROUND_EACH_PASS, imresize  # noqa: E402

scale_key = step("9_eval_imlut").scale_key

DATA = TRAINING / "DATA.md"
HELD_OUT = WORK / "heldout"
SCALES = (2.0, 2.5, 3.0, 3.5, 4.0)
MODELS = ("auto", "lutscale-imlut", "bicubic")
LONG_SIDE = 1024
GOALS = {2.0: 1.0, 2.5: 0.8, 3.0: 1.0, 3.5: 0.8, 4.0: 0.9}   # issue #17: gain over MATLAB bicubic, dB
ROW = re.compile(r"^\|\s*(H\d{2})\s*\|")


def held_out_rows(text: str) -> list[dict[str, str]]:
    """The held-out table of DATA.md: rows `| HNN | package | `path` | size | licence | author | `sha` |`."""
    rows = []
    for line in text.splitlines():
        if not ROW.match(line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7:
            raise ValueError(f"DATA.md: expected 7 cells, got {len(cells)}: {line}")
        nn, package, path, size, licence, author, sha = cells
        rows.append({"id": nn, "package": package, "path": path.strip("`"), "size": size, "licence": licence,
                     "author": author, "sha": sha.strip("`")})
    return rows


def shrunk_shape(h: int, w: int, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """Size of a photo shrunk to long_side on its long side (unchanged when it is not longer)."""
    if max(h, w) <= long_side:
        return h, w
    f = long_side / max(h, w)
    return round(h * f), round(w * f)


def lr_shape(h: int, w: int, scale: float) -> tuple[int, int, int, int]:
    """(cropped HR h, w, LR h, w) for scale s = p/q: HR cropped to a multiple of p, LR exactly HR / s."""
    frac = Fraction(scale).limit_denominator(16)
    p, q = frac.numerator, frac.denominator
    hc, wc = h // p * p, w // p * p
    return hc, wc, hc // p * q, wc // p * q


def sha16(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def fetch(rows: list[dict[str, str]], work: Path = HELD_OUT) -> list[Path]:
    """The photos of the rows in work/photos/HNN_<name>, downloading and extracting their packages as needed."""
    photos = work / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    out = [photos / f"{r['id']}_{Path(r['path']).name}" for r in rows]
    missing = sorted({r["package"] for r, p in zip(rows, out) if not p.exists()})
    if missing:
        debs, pkgs = work / "debs", work / "pkgs"
        debs.mkdir(exist_ok=True)
        pkgs.mkdir(exist_ok=True)
        policy = subprocess.run(["apt-cache", "policy", missing[0]], capture_output=True, text=True).stdout
        if not re.search(r"Candidate: [0-9]", policy):
            print("heldout: apt lists are empty, running apt-get update", file=sys.stderr)
            subprocess.run((["sudo"] if os.getuid() != 0 else []) + ["apt-get", "update", "-qq"], check=True)
        for package in missing:
            if not list(debs.glob(f"{package}_*.deb")):
                subprocess.run(["apt-get", "download", package], cwd=debs, check=True, stdout=sys.stderr)
            if not (pkgs / package).is_dir():
                subprocess.run(["dpkg-deb", "-x", str(sorted(debs.glob(f"{package}_*.deb"))[0]), str(pkgs / package)],
                               check=True)
    for r, dst in zip(rows, out):
        if not dst.exists():
            src = work / "pkgs" / r["package"] / r["path"]
            if not src.exists():
                sys.exit(f"heldout: missing {r['package']}/{r['path']}")
            shutil.copyfile(src, dst)
        got = sha16(dst)
        if got != r["sha"]:
            print(f"heldout: warning: {dst} sha256 {got} differs from DATA.md's {r['sha']}", file=sys.stderr)
    return out


def hr_image(photo: Path, folder: Path, long_side: int) -> np.ndarray:
    """The photo as HR (RGB uint8), shrunk to long_side; cached as PNG in folder."""
    cached = folder / f"{photo.stem}.png"
    if cached.exists():
        return load_rgb(cached)
    rgb = load_rgb(photo)
    shape = shrunk_shape(*rgb.shape[:2], long_side)
    if shape != rgb.shape[:2]:
        rgb = imresize(rgb, out_shape=shape)
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(cached)
    return rgb


def lr_image(hr: np.ndarray, scale: float, path: Path) -> np.ndarray:
    """The LR of an HR at a scale (lr_shape's rule, MATLAB bicubic), saved as PNG at path (cached)."""
    if path.exists():
        return load_rgb(path)
    hc, wc, lh, lw = lr_shape(*hr.shape[:2], scale)
    round_each = SET5_ROUND_EACH_PASS.get(scale, False) if float(scale).is_integer() else False
    lr = imresize(hr[:hc, :wc], out_shape=(lh, lw), round_each_pass=round_each)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(lr).save(path)
    return lr


def model_dir(model: str) -> str:
    """A folder name for a model given by name or path."""
    return Path(model).stem if "/" in model else model


def upscale(binary: Path, lr_path: Path, sr_path: Path, scale: float, model: str) -> np.ndarray:
    sr_path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(binary), str(lr_path), "-o", str(sr_path), "--scale", scale_key(scale), "--model", model,
                    "-y", "--quiet"], check=True)
    return load_rgb(sr_path)


def matlab_bicubic_y(lr: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """The published baseline: MATLAB bicubic imresize up of the LR's 8-bit Y plane."""
    return imresize(y_uint8(lr), out_shape=(out_h, out_w)).astype(np.float64)


def evaluate(images: list[tuple[str, np.ndarray]], scales: list[float], models: list[str], binary: Path,
             work: Path) -> dict[tuple[str, float], dict[str, float]]:
    """{(method, scale): {image name: Y PSNR}}; method "matlab-bicubic" is the protocol's baseline."""
    results: dict[tuple[str, float], dict[str, float]] = {}
    for s in scales:
        for name, hr in images:
            lr_path = work / f"X{scale_key(s)}" / f"{name}.png"
            lr = lr_image(hr, s, lr_path)
            hc, wc, _, _ = lr_shape(*hr.shape[:2], s)
            hr_y = rgb_to_y(hr[:hc, :wc])
            results.setdefault(("matlab-bicubic", s), {})[name] = psnr_y(matlab_bicubic_y(lr, hc, wc), hr_y, s)
            for m in models:
                sr = upscale(binary, lr_path, work / "sr" / model_dir(m) / f"X{scale_key(s)}" / f"{name}.png", s, m)
                if sr.shape[:2] != (hc, wc):
                    print(f"heldout: warning: {m} x{scale_key(s)} {name}: output {sr.shape[1]}x{sr.shape[0]}, "
                          f"HR {wc}x{hc}", file=sys.stderr)
                results.setdefault((m, s), {})[name] = psnr_y(rgb_to_y(sr), hr_y, s)
        print(f"heldout: x{scale_key(s)} done", file=sys.stderr)
    return results


def mean(values: dict[str, float]) -> float:
    return float(np.mean(list(values.values())))


def table(results: dict[tuple[str, float], dict[str, float]], scales: list[float], models: list[str],
          goals: bool) -> str:
    def row(label: str, cells: list[str]) -> str:
        return f"| {label} | " + " | ".join(cells) + " |"

    lines = [row("Y PSNR (dB)", [f"x{scale_key(s)}" for s in scales]), row("---", ["---"] * len(scales))]
    lines.append(row("MATLAB bicubic (protocol)", [f"{mean(results['matlab-bicubic', s]):.2f}" for s in scales]))
    for m in models:
        lines.append(row(f"`--model {m}`", [f"{mean(results[m, s]):.2f}" for s in scales]))
    for m in models:
        if m == "bicubic":
            continue
        gains = [mean(results[m, s]) - mean(results["matlab-bicubic", s]) for s in scales]
        lines.append(row(f"gain of `{m}` over MATLAB bicubic", [f"{g:+.2f}" for g in gains]))
        if "bicubic" in models:
            gains = [mean(results[m, s]) - mean(results["bicubic", s]) for s in scales]
            lines.append(row(f"gain of `{m}` over `--model bicubic`", [f"{g:+.2f}" for g in gains]))
    if goals:
        lines.append(row("issue #17 goal (over MATLAB bicubic)",
                         [f">= {GOALS[s]:.1f}" if s in GOALS else "" for s in scales]))
    return "\n".join(lines)


def package_table(results: dict[tuple[str, float], dict[str, float]], scales: list[float], models: list[str],
                  packages: dict[str, str]) -> str:
    """Gain of each model over MATLAB bicubic, mean over each package's photos."""
    lines = ["| gain over MATLAB bicubic (dB) | photos | " + " | ".join(f"x{scale_key(s)}" for s in scales) + " |",
             "| --- | --- | " + " | ".join("---" for _ in scales) + " |"]
    for package in sorted(set(packages.values())):
        names = [n for n, p in packages.items() if p == package]
        for m in (m for m in models if m != "bicubic"):
            gains = [np.mean([results[m, s][n] - results["matlab-bicubic", s][n] for n in names]) for s in scales]
            lines.append(f"| {package}, `{m}` | {len(names)} | " + " | ".join(f"{g:+.2f}" for g in gains) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=list(SCALES))
    ap.add_argument("--models", nargs="+", default=os.environ.get("MODELS", " ".join(MODELS)).split(),
                    help="models for --model (names or .lut paths; default $MODELS or %(default)s)")
    ap.add_argument("--lutscale", type=Path, default=Path(os.environ.get("LUTSCALE", ROOT / ".build/release/lutscale")),
                    help="the CLI binary (default $LUTSCALE or .build/release/lutscale)")
    ap.add_argument("--long-side", type=int, default=LONG_SIDE, help="shrink photos to this long side first")
    ap.add_argument("--work", type=Path, default=HELD_OUT)
    ap.add_argument("--set5", action="store_true", help="Set5's HR images instead of the held-out photos")
    args = ap.parse_args()
    if not args.lutscale.exists():
        sys.exit(f"heldout: {args.lutscale} is missing: swift build -c release --product lutscale, or set LUTSCALE")
    if args.set5:
        work = args.work / "set5"
        images = [(n, load_rgb(SET5 / "HR" / f"{n}.png")) for n in SET5_NAMES]
    else:
        rows = held_out_rows(DATA.read_text())
        photos = fetch(rows, args.work)
        work = args.work / f"l{args.long_side}"
        images = [(p.stem, hr_image(p, work / "HR", args.long_side)) for p in photos]
        packages = {p.stem: r["package"] for p, r in zip(photos, rows)}
    results = evaluate(images, args.scales, args.models, args.lutscale, work)
    methods = ["matlab-bicubic"] + args.models
    per_photo = work / "per_photo.tsv"
    with per_photo.open("w") as f:
        f.write("image\tscale\t" + "\t".join(methods) + "\n")
        for s in args.scales:
            for name, _ in images:
                f.write(f"{name}\t{scale_key(s)}\t" + "\t".join(f"{results[m, s][name]:.3f}" for m in methods) + "\n")
    print(f"{len(images)} {'Set5 images' if args.set5 else 'held-out photos'}; per photo: {per_photo}")
    print(table(results, args.scales, args.models, goals=not args.set5))
    if not args.set5:
        print()
        print(package_table(results, args.scales, args.models, packages))


if __name__ == "__main__":
    main()
