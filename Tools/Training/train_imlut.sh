#!/usr/bin/env bash
# Reproduces the shipped arbitrary-scale model work/models/lutscale-imlut.lut: fetch the photos, fit the imlut mix
# (S:7 + D:5 + Y:5 + I:5, rotations 4, 2 x 2 phase nodes, interpolators constant, nearest, bicubic and Lanczos-3,
# so N*N*K = 16 values per LR pixel; 4 scale bins, scales drawn in [1, 5], 3 M LR anchors with at most ~5 HR samples
# each) in 150 CG iterations, export (int8 mix when it costs <= 0.01 dB of mean Set5 PSNR, else int16: int16 for this
# fit), and measure Set5 at 1.5 ... 4 and the extrapolation to x6 and x8, bicubic beside it. Every table lookup is
# on the LR grid: no refinement, no ensemble (docs/imlut.md). Deterministic (fixed seeds). Measured with
# /usr/bin/time -v on the 2-core machine beside Swift tests: 18 min 50 s, 18.0 GB peak (run nothing big beside it;
# 6 M anchors do not fit in 24 GB); export 3 min.
set -euo pipefail
cd "$(dirname "$0")"
./1_fetch_data.sh
python3 6_fit_imlut.py --mix S:7,D:5,Y:5,I:5 --nodes 2 --bins 1.5 2 3 4 --interpolators constant,nearest,bicubic,lanczos3 \
    --anchors 3e6 --sample-cap 5 --max-train-scale 5 --iters 150 --name lutscale-imlut
python3 8_export_imlut.py lutscale-imlut --out lutscale-imlut --max-loss 0.01
python3 9_eval_imlut.py work/models/lutscale-imlut.lut --scales 1.5 2 2.5 3 3.5 4 6 8
