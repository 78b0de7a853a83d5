#!/usr/bin/env bash
# Reproduces the shipped arbitrary-scale model work/models/lutscale-imlut.lut: fetch the photos, fit the imlut mix
# (4 x 4 phase nodes) at scales drawn in [1, 5] on 2.4 M anchors, continue it on 3 M anchors, fit the shipped
# refine on that mix, export (int8 mix with a step per bin and node, int16 refine), and measure Set5 at 1.5 ... 4
# and the extrapolation to x6 and x8, bicubic beside it. Deterministic (fixed seeds); README.md lists the fit times.
# One fit at a time: the 3 M mix holds ~14 GB.
set -euo pipefail
cd "$(dirname "$0")"
./1_fetch_data.sh
mix="--mix S:6,D:6,Y:6 --nodes 4 --bins 1.5 2 3 4 --interpolators nearest,bilinear,bicubic,lanczos3"
# shellcheck disable=SC2086
python3 6_fit_imlut.py $mix --refine S:9,Sx:9 --anchors 2.4e6 --sample-cap 5 --max-train-scale 5 \
    --iters 150 --refine-iters 60 --refine-fraction 0.08 --name c_n4s5
# 80 more iterations from that mix on 3 M anchors (+0.23 dB at x1.5, +0.09 at x2), then its refine
# shellcheck disable=SC2086
python3 6_fit_imlut.py $mix --refine S:9,Sx:9 --anchors 3e6 --sample-cap 5 --max-train-scale 5 \
    --mix-init c_n4s5 --iters 80 --refine-iters 600 --refine-fraction 0.15 --name d_n4s5_3m
# the shipped refine: S:11 plus S:11 dilated by the scale (Sx, reads M' one LR pixel apart), same crops
python3 6_fit_imlut.py --mix-from d_n4s5_3m --refine S:11,Sx:11 --anchors 3e6 --sample-cap 5 --max-train-scale 5 \
    --refine-iters 600 --refine-fraction 0.15 --name d_n4s5_3m_r11
python3 7_export_imlut.py d_n4s5_3m_r11 --out lutscale-imlut --max-loss 0.01
python3 8_eval_imlut.py work/models/lutscale-imlut.lut --scales 1.5 2 2.5 3 3.5 4 6 8
