#!/usr/bin/env python3
"""Set5 Y PSNR at x3 against milliseconds per 1280x720 -> 3840x2160 luma frame on one core, for every shipped model,
our bicubic and Lanczos-3 and the published SR-LUT table (FFmpeg's swscale timed beside them), all measured here and
now:

  python3 Tools/QualitySpeedChart.py [--runs 9] [--svg docs/quality-speed.svg]

PSNR: `lutscale eval` on ../shared/benchmarks/Set5 at x3 (the protocol of shared/README.md). Time: the median of
--runs renders by `lutscale-bench-engine` (fixed-scale models, 4 rotations, with swscale and our resamplers timed in
the same run) and `lutscale-bench-imlut` (the any-scale model), one worker, release builds. Prints a Markdown table
and writes the chart as SVG (no plotting library needed).
"""
from __future__ import annotations

import argparse
import math
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MODELS = ROOT / "Sources/lutscale/Models"
SRLUT = SHARED / "reference/srlut/Model_S_x3_4bit_int8.npy"


def run(*args: str) -> str:
    return subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def build() -> Path:
    for product in ("lutscale", "lutscale-bench-engine", "lutscale-bench-imlut"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    return ROOT / ".build/release"


def psnr(binary: Path, model: str) -> tuple[float, float]:
    """(the model's, bicubic's) mean Set5 Y PSNR at x3."""
    out = run(str(binary / "lutscale"), "eval", "--hr", str(SHARED / "benchmarks/Set5/HR"),
              "--lr", str(SHARED / "benchmarks/Set5/LR_bicubic/X3"), "--scale", "3", "--model", model)
    mean = re.search(r"^mean\s+([\d.]+) / [\d.]+\s+([\d.]+) /", out, re.M)
    return float(mean.group(1)), float(mean.group(2))


def engine_ms(binary: Path, model: Path, runs: int) -> dict[str, float]:
    """Milliseconds per frame of the model (4 rotations) and of the resamplers timed beside it."""
    out = run(str(binary / "lutscale-bench-engine"), "--model", str(model), "--runs", str(runs), "--workers", "1",
              "--rotations", "4")
    times = {}
    for label, key in (("swscale bicubic", "swscale bicubic"), ("swscale lanczos", "swscale lanczos"),
                       ("4 rotations", "model"), ("ours bicubic", "bicubic"), ("ours lanczos3", "lanczos3")):
        found = re.search(rf"^{label}\s+8-bit 1 worker\s+([\d.]+) ms", out, re.M)
        if found:
            times[key] = float(found.group(1))
    return times


def imlut_ms(binary: Path, model: Path, runs: int) -> float:
    out = run(str(binary / "lutscale-bench-imlut"), "--model", str(model), "--runs", str(runs), "--workers", "1",
              "--cases", "x3")
    return float(re.search(r"1 worker\s+([\d.]+) ms/frame", out).group(1))


def svg(points: list[tuple[str, float, float]], path: Path) -> None:
    width, height, left, right, top, bottom = 760, 440, 70, 200, 20, 50
    xs = [math.log10(ms) for _, ms, _ in points]
    ys = [db for _, _, db in points]
    x0, x1 = math.floor(min(xs) * 2) / 2, math.ceil(max(xs) * 2) / 2
    y0, y1 = math.floor(min(ys) * 2) / 2, math.ceil(max(ys) * 2) / 2

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def py(v: float) -> float:
        return height - bottom - (v - y0) / (y1 - y0) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="12"><rect width="100%" height="100%" fill="white"/>']
    for decade in range(math.floor(x0), math.ceil(x1) + 1):
        for m in (1, 2, 5):
            v = decade + math.log10(m)
            if x0 <= v <= x1:
                parts.append(f'<line x1="{px(v):.1f}" y1="{top}" x2="{px(v):.1f}" y2="{height - bottom}" stroke="#ddd"/>'
                             f'<text x="{px(v):.1f}" y="{height - bottom + 16}" text-anchor="middle">{10 ** v:g}</text>')
    y = y0
    while y <= y1 + 1e-9:
        parts.append(f'<line x1="{left}" y1="{py(y):.1f}" x2="{width - right}" y2="{py(y):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.1f}</text>')
        y += 0.5
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">ms per 1280x720 -> '
                 f'3840x2160 luma frame, one core (log scale)</text>'
                 f'<text x="16" y="{(top + height - bottom) / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {(top + height - bottom) / 2})">Set5 Y PSNR at x3 (dB)</text>')
    for (name, ms, db), x in zip(points, xs):
        colour = "#c03" if name.startswith("lutscale") else "#36c"
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(db):.1f}" r="5" fill="{colour}"/>'
                     f'<text x="{px(x) + 8:.1f}" y="{py(db) + 4:.1f}">{name}</text>')
    parts.append("</svg>\n")
    path.write_text("".join(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9, help="timed renders per figure (median)")
    ap.add_argument("--svg", type=Path, default=ROOT / "docs/quality-speed.svg")
    args = ap.parse_args()
    binary = build()
    points: list[tuple[str, float, float]] = []
    resamplers = engine_ms(binary, MODELS / "lutscale-sdy-x3.lut", args.runs)
    sdy_db, bicubic_db = psnr(binary, "lutscale-sdy-x3")
    lanczos_db, _ = psnr(binary, "lanczos3")
    points += [("lutscale bicubic", resamplers["bicubic"], bicubic_db),
               ("lutscale lanczos3", resamplers["lanczos3"], lanczos_db),
               ("lutscale-sdy-x3", resamplers["model"], sdy_db)]
    for name, path in (("SR-LUT-S x3 (published)", SRLUT), ("lutscale-s-x3", MODELS / "lutscale-s-x3.lut")):
        points.append((name, engine_ms(binary, path, args.runs)["model"], psnr(binary, str(path))[0]))
    points.append(("lutscale-imlut", imlut_ms(binary, MODELS / "lutscale-imlut.lut", args.runs),
                   psnr(binary, "lutscale-imlut")[0]))
    print("| method | ms per 720p -> 4K luma frame, 1 core | Set5 Y PSNR x3 |")
    print("| --- | --- | --- |")
    for name, ms, db in sorted(points, key=lambda p: p[1]):
        print(f"| {name} | {ms:.2f} | {db:.3f} |")
    print(f"In the same run FFmpeg's swscale took {resamplers['swscale bicubic']:.2f} ms (bicubic) and "
          f"{resamplers['swscale lanczos']:.2f} ms (lanczos) per frame (their PSNR is not measured: they are not our "
          f"filters).")
    svg(points, args.svg)
    print(f"chart: {args.svg.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
