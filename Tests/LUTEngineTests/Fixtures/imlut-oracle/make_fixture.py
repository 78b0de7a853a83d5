"""Makes the imlut oracle fixture: a small random imlut model written by the training tools' lutfile.py, an input
plane, and the outputs of their NumPy reference forward (imlut.run_model) at several sizes, in 8 and 10 bits. The
Swift engine must reproduce them (IMLUTOracleTests).

The model is the shipped layout in small: an S pre-stage (x1, residual, rotations 4, one power-of-two step), then
S + D + Y mix luts with rotations 4, 5 scale bins (1.5, 2, 3, 3.5, 4), 2 x 2 phase nodes in the first three and
3 x 3 in the last two, interpolators constant, bilinear, bicubic, lanczos3 (N*N*K = 16 or 36 values per LR pixel); int8 tables as 8_export_imlut.py writes them (the constant's column
a step of its own per (bin, node) in output_scales, the other three sharing one). Every lookup is on the LR grid:
no refine, no ensemble.

Usage: python3 make_fixture.py TRAINING_DIR   (TRAINING_DIR = Tools/Training of a checkout with imlut.py)
Writes beside this script:
  model.lut                      the model
  input-13x11.gray               8-bit input plane, row-major, one byte per sample
  expected-WxH.gray              8-bit outputs, row-major
  input-13x11.gray10             10-bit input plane, row-major, uint16 little-endian
  expected-10bit-WxH.gray10      10-bit outputs of the same model, row-major, uint16 little-endian
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, sys.argv[1])
import imlut     # noqa: E402
import lutfile   # noqa: E402

here = Path(__file__).resolve().parent
for old in [*here.glob("expected-*"), *here.glob("input-*"), *here.glob("model*.lut")]:
    old.unlink()
rng = np.random.default_rng(20261206)
names = ["constant", "bilinear", "bicubic", "lanczos3"]
bins, nodes = [1.5, 2, 3, 3.5, 4], [2, 2, 2, 3, 3]
mix_luts = [{"pattern": "S", "rotations": 4, "levels": [0, 96, 160, 256]},
            {"pattern": "D", "rotations": 4, "levels": [0, 128, 256]},
            {"pattern": "Y", "rotations": 4, "levels": [0, 64, 176, 256]}]
pre_luts = [{"pattern": "S", "rotations": 4, "levels": [0, 64, 128, 192, 256]}]
header = imlut.make_header("oracle-fixture", bins, nodes, names, mix_luts, max_scale=8,
                           metadata={"set5_y_psnr": {"2": 35.0, "4": 29.0}}, pre_luts=[pre_luts])
lookups = len(mix_luts) * 4
mix = []
for lut in mix_luts:
    e = len(lut["levels"]) ** 4
    # Mostly bicubic, plus noise on every weight; the constant's weight is a residual in 8-bit levels (+-10 or so
    # per lookup), so the mixed plane stays mostly in range and still clamps at the saturated row and column.
    t = rng.normal(0.0, 0.06, (e, sum(n * n for n in nodes), len(names)))
    t[..., names.index("bicubic")] += 1.0 / lookups
    t[..., names.index("constant")] *= 50
    mix.append(t.reshape(e, -1))
# The pre-stage sharpens a little and adds noise: up to +-6 levels per rotation.
pre = [rng.normal(0.0, 2.0, (5 ** 4, 1)).clip(-6, 6)]
lutfile.write(here / "model.lut", header, {"pre": [pre], "mix": mix}, type_name="int8")
header, tables = lutfile.read(here / "model.lut")
assert all("output_scales" in lut["table"] for lut in header["mix"]["luts"])

h, w = 11, 13
yy, xx = np.mgrid[0:h, 0:w]
plane = np.clip(128 + 90 * np.sin(xx / 2.3) * np.cos(yy / 3.1) + rng.normal(0, 25, (h, w)), 0, 255).astype(np.uint8)
plane[4, :] = 255   # a hard edge and a saturated row
plane[:, 9] = 0
plane10 = (plane.astype(np.uint16) * 4 + rng.integers(0, 4, (h, w))).astype(np.uint16)   # low bits in use too
plane10[4, :] = 1023
plane10[:, 9] = 0
(here / f"input-{w}x{h}.gray").write_bytes(plane.tobytes())
(here / f"input-{w}x{h}.gray10").write_bytes(plane10.astype("<u2").tobytes())
# x1, just above x1, x1.5-x2.7 anisotropic, x2, x2.5, x3, x4, x8 (beyond the last bin), x4 by x1 and x1.3 by x3.4
# (strongly anisotropic: s = sqrt(sx sy) blends two bins while the axes' phases differ), x3.5 and x3.25 (a 2 x 2 bin
# blended with a 3 x 3 one).
sizes = [(13, 11), (14, 12), (20, 30), (26, 22), (33, 28), (39, 33), (52, 44), (104, 88), (52, 11), (17, 37), (46, 38),
         (42, 36)]
for out_w, out_h in sizes:
    out = imlut.run_model(plane, out_h, out_w, header, tables)
    (here / f"expected-{out_w}x{out_h}.gray").write_bytes(out.astype(np.uint8).tobytes())
    out10 = imlut.run_model(plane10, out_h, out_w, header, tables, bit_depth=10)
    (here / f"expected-10bit-{out_w}x{out_h}.gray10").write_bytes(out10.astype("<u2").tobytes())
    m = imlut.run_model(plane, out_h, out_w, header, tables, return_float=True)
    print(f"{out_w}x{out_h}: M in [{m.min():.1f}, {m.max():.1f}], {np.mean((m < 0) | (m > 255)):.1%} clamped")
print("wrote", sorted(p.name for p in here.iterdir()))
