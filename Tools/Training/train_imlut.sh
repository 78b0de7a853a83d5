#!/usr/bin/env bash
# Reproduces the shipped arbitrary-scale model work/models/lutscale-imlut.lut: fetch the photos, fit the imlut mix
# (and a first refine) at scales drawn in [1, 4], fit the shipped refine on that mix, export (int8 where it costs
# little), and measure Set5 at 1.5 ... 4 and the extrapolation to x6 and x8, bicubic beside it. Deterministic (fixed seeds); README.md lists the fit time.
set -euo pipefail
cd "$(dirname "$0")"
./1_fetch_data.sh
python3 6_fit_imlut.py --mix S:6,D:6,Y:6 --nodes 3 --bins 1.5 2 3 4 \
    --interpolators nearest,bilinear,bicubic,lanczos3 --refine S:9 \
    --anchors 2.4e6 --sample-cap 5 --iters 40 --refine-iters 30 --refine-fraction 0.08 --name imlut-sdy6-2m4
# the refine again on that mix: S:7 plus S:7 dilated by the scale (Sx, reads M' one LR pixel apart), same crops
python3 6_fit_imlut.py --mix-from imlut-sdy6-2m4 --refine S:7,Sx:7 \
    --anchors 2.4e6 --sample-cap 5 --refine-iters 30 --refine-fraction 0.08 --name imlut-sdy6-2m4-sx7
python3 7_export_imlut.py imlut-sdy6-2m4-sx7 --out lutscale-imlut --max-loss 0.05
python3 8_eval_imlut.py work/models/lutscale-imlut.lut --scales 1.5 2 2.5 3 3.5 4 6 8
