"""Makes the imlut oracle fixture: a small random imlut model written by the training tools' lutfile.py, an input
plane, and the outputs of their NumPy reference forward (imlut.run_model) at several sizes. The Swift engine must
reproduce them (IMLUTOracleTests).

Usage: python3 make_fixture.py TRAINING_DIR   (TRAINING_DIR = Tools/Training of a checkout with imlut.py)
Writes model.lut, input-13x11.gray and expected-WxH.gray (8-bit, row-major) beside this script, and the same
model with the transpose ensemble (model-ensemble.lut, expected-ensemble-WxH.gray).
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, sys.argv[1])
import imlut     # noqa: E402
import lutfile   # noqa: E402

here = Path(__file__).resolve().parent
rng = np.random.default_rng(20261123)
names = ["constant", "nearest", "bilinear", "bicubic", "lanczos3"]
bins, nodes = [1.5, 2, 3, 4], 3
mix_luts = [{"pattern": "S", "rotations": 4, "levels": [0, 96, 160, 256]},
            {"pattern": "D", "rotations": 1, "levels": [0, 128, 256]}]
# The second refine lut reads M' d = round(scale) pixels apart (docs/imlut.md), up to d = 8 at 104x88.
refine_luts = [{"pattern": "Y", "rotations": 4, "levels": [0, 64, 128, 192, 256]},
               {"pattern": "S", "rotations": 4, "levels": [0, 128, 256], "dilation": "scale"}]
header = imlut.make_header("oracle-fixture", bins, nodes, names, mix_luts, refine_luts, max_scale=8,
                           metadata={"set5_y_psnr": {"2": 35.0, "4": 29.0}})
lookups = 4 + 1
mix = []
for lut in mix_luts:
    e = len(lut["levels"]) ** 4
    # Mostly bicubic, plus noise on every weight, so the mixed plane stays mostly in range.
    t = rng.normal(0.0, 0.08, (e, len(bins), nodes * nodes, len(names)))
    t[..., names.index("bicubic")] += 1.0 / lookups
    t[..., names.index("constant")] *= 20
    mix.append(t.reshape(e, -1))
refine = [rng.normal(0.0, 1.5, (len(lut["levels"]) ** 4, len(bins))) for lut in refine_luts]
lutfile.write(here / "model.lut", header, {"mix": mix, "refine": refine}, type_name={"mix": "int8", "refine": "int16"})
header, tables = lutfile.read(here / "model.lut")

h, w = 11, 13
yy, xx = np.mgrid[0:h, 0:w]
plane = np.clip(128 + 90 * np.sin(xx / 2.3) * np.cos(yy / 3.1) + rng.normal(0, 25, (h, w)), 0, 255).astype(np.uint8)
plane[4, :] = 255   # a hard edge and a saturated row
plane[:, 9] = 0
(here / f"input-{w}x{h}.gray").write_bytes(plane.tobytes())
for out_w, out_h in [(13, 11), (33, 28), (20, 30), (26, 22), (39, 33), (52, 44), (104, 88), (14, 12)]:
    out = imlut.run_model(plane, out_h, out_w, header, tables)
    (here / f"expected-{out_w}x{out_h}.gray").write_bytes(out.astype(np.uint8).tobytes())
ensemble = {**header, "ensemble": "transpose"}
for group in ("mix", "refine"):
    for lut in ensemble[group]["luts"]:
        lut.pop("table")
lutfile.write(here / "model-ensemble.lut", ensemble, tables, type_name={"mix": "int8", "refine": "int16"})
ensemble, tables = lutfile.read(here / "model-ensemble.lut")
for out_w, out_h in [(20, 30), (39, 33), (52, 44)]:
    out = imlut.run_model(plane, out_h, out_w, ensemble, tables)
    (here / f"expected-ensemble-{out_w}x{out_h}.gray").write_bytes(out.astype(np.uint8).tobytes())
print("wrote", sorted(p.name for p in here.iterdir()))
