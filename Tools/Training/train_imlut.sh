#!/usr/bin/env bash
# Reproduces the shipped arbitrary-scale model work/models/lutscale-imlut.lut:
# 1. fetch the photos;
# 6. fit the imlut mix by least squares (S:7 + D:5 + Y:5 + I:5, rotations 4, 2 x 2 phase nodes, interpolators
#    constant, nearest, bicubic and Lanczos-3, so N*N*K = 16 values per LR pixel; 4 scale bins, scales drawn in
#    [1, 5], 3 M LR anchors with at most ~5 HR samples each, 150 CG iterations);
# 7. fine-tune it by gradient (PyTorch, CPU) on fresh crops: the Y lut dropped and a pre-stage S:9 added in its place
#    (an x1 LUT stage refining the LR plane before the mix: 4 lookups for the Y lut's 4, the same time per frame,
#    +0.06-0.11 dB at x2-x4), finer lattices for two tables first (D:7, I:7: the fresh crops feed entries least
#    squares had too little data for), 5000 steps of 16 crops, Adam rate 8e-4 on a cosine, crops drawn from each
#    photo shrunk to 1024, 1448 and 2048 px and half of them mirrored;
# 8. export it (int16: 940,164 bytes; the model shipped until session 18, lutscale-imlut-2x2);
# 7. fine-tune that file again, 1200 steps at rate 4e-4 on new crops (seed 1), with a scale bin at x3.5 added whose
#    phase nodes are 3 x 3 (the other bins keep 2 x 2: a scale runs on 3 x 3 only strictly between x3 and x4, so
#    x3, x4 and below cost what they did) and the D table on 6 levels: Set5 x3.5 +0.09 dB;
# 8. export within 1 MB: 100 values per entry, the S and D tables int16, I int8 (999,400 bytes), and
# 9. measure Set5 at 1.5 ... 8, bicubic beside it.
# Every table lookup is on the LR grid: no refinement, no ensemble (docs/imlut.md). Deterministic (fixed seeds, one
# thread). Measured with /usr/bin/time -v on the 2-core Zen 4 machine beside other work: step 6 21 min 36 s, 18.0 GB
# peak (run nothing big beside it; 6 M anchors do not fit in 24 GB); the first step 7 29 min 45 s (session 14), about
# 0.9 GB; each export under 1 min. The second step 7 took 14 min on session 18's Intel Xeon, which runs step 7 at
# half the Zen 4's speed (58 minutes for the first): about 7 minutes there, so about 60 minutes in all.
set -euo pipefail
cd "$(dirname "$0")"
./1_fetch_data.sh
python3 6_fit_imlut.py --mix S:7,D:5,Y:5,I:5 --nodes 2 --bins 1.5 2 3 4 --interpolators constant,nearest,bicubic,lanczos3 \
    --anchors 3e6 --sample-cap 5 --max-train-scale 5 --iters 150 --name lutscale-imlut
python3 7_finetune_imlut.py lutscale-imlut --drop Y --pre S:9 --levels D:7,I:7 --lr 8e-4 --steps 5000 --flip \
    --long-sides 1024,1448,2048 --name lutscale-imlut-ft
python3 8_export_imlut.py lutscale-imlut-ft --out lutscale-imlut-2x2 --max-loss 0.01
python3 7_finetune_imlut.py work/models/lutscale-imlut-2x2.lut --levels D:6 --bins 1.5,2,3,3.5,4 --nodes 2,2,2,3,2 \
    --lr 4e-4 --lr-pre 1e-2 --steps 1200 --seed 1 --flip --long-sides 1024,1448,2048 --name lutscale-imlut-ft2
python3 8_export_imlut.py lutscale-imlut-ft2 --out lutscale-imlut --types int16,int16,int8 --max-bytes 1000000
python3 9_eval_imlut.py work/models/lutscale-imlut.lut --scales 1.5 2 2.5 3 3.5 4 6 8
