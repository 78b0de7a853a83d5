"""LUT format v1: layout, alignment, CRC, quantisation, and the NumPy inference against the published SR-LUT
figures (reads only ../shared)."""
import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, step  # noqa: E402
import lutfile  # noqa: E402
import srlut  # noqa: E402


def _model(tmp_path, type_name):
    rng = np.random.default_rng(1)
    luts = [{"pattern": "S", "rotations": 4, "levels": srlut.uniform_levels(5)},
            {"pattern": "Y", "rotations": 1, "levels": [0, 64, 200, 256]}]
    tables = [[rng.normal(0, 9, size=(5 ** 4, 4)), rng.normal(0, 3, size=(4 ** 4, 4))]]
    header = srlut.make_header("t", 2, luts, True, {"licence": "test"})
    path = tmp_path / "t.lut"
    lutfile.write(path, header, tables, type_name)
    return path, tables


@pytest.mark.parametrize("type_name,tolerance", [("float32", 1e-5), ("int16", 1e-3), ("int8", 0.2)])
def test_round_trip_and_layout(tmp_path, type_name, tolerance):
    path, tables = _model(tmp_path, type_name)
    raw = path.read_bytes()
    assert raw[:8] == b"LUTSCALE"
    version, hlen = struct.unpack_from("<II", raw, 8)
    assert version == 1
    header = json.loads(raw[16:16 + hlen])
    base = (16 + hlen + 63) // 64 * 64
    assert all(b == 0 for b in raw[16 + hlen:base])
    for lut in header["stages"][0]["luts"]:
        assert lut["table"]["offset"] % 64 == 0 and lut["table"]["type"] == type_name
    assert struct.unpack_from("<I", raw, len(raw) - 4)[0] == zlib.crc32(raw[:-4])
    _, read = lutfile.read(path)
    for a, b in zip(read[0], tables[0]):
        assert np.abs(a - b).max() <= tolerance * np.abs(b).max()


def test_runs_get_their_own_steps_and_keep_their_sums():
    rng = np.random.default_rng(2)
    table = rng.normal(0, 0.1, size=(625, 16)) * np.repeat([1, 8, 0.5, 2], 4)      # 4 runs of 4, ranges apart
    whole, scale, none = lutfile.quantize(table, "int8")
    stored, same_scale, factors = lutfile.quantize(table, "int8", run=4)
    assert none is None and same_scale == scale and len(factors) == 16 and max(factors) == 1
    real = stored * scale * np.asarray(factors)
    step = scale * np.asarray(factors)
    assert np.all(np.abs(real - table) < step)                                  # within one own step
    assert np.abs(stored).reshape(625, 4, 4).max(axis=(0, 2)).min() >= 126      # every run uses the full range
    sums = (table / step).reshape(-1, 4).sum(1)
    assert np.array_equal(stored.reshape(-1, 4).sum(1), np.round(sums))
    assert np.abs(real - table).mean() < 0.5 * np.abs(whole * scale - table).mean()


def test_imlut_tables_round_trip_with_output_scales(tmp_path):
    """Mix outputs: per (bin, node) run of K weights, the constant's column has a step of its own and the others
    share one (each a factor in output_scales); every step is at most the group's peak / 127."""
    rng = np.random.default_rng(3)
    header = {"kind": "imlut", "name": "t", "max_scale": 8, "scale_bins": [2, 4], "phase_nodes": 2,
              "interpolators": ["nearest", "constant", "bilinear"],
              "mix": {"luts": [{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}]}, "metadata": {}}
    runs = np.repeat([1, 5, 0.2, 1, 1, 1, 3, 1], 3)
    weight = np.tile([1.0, 30.0, 1.0], 8)                               # the constant's weights in 8-bit levels
    tables = {"mix": [rng.normal(0, 0.1, size=(81, 24)) * runs * weight]}
    written = lutfile.write(tmp_path / "t.lut", header, tables, "int8")
    factors = np.asarray(written["mix"]["luts"][0]["table"]["output_scales"]).reshape(8, 3)
    assert np.all(factors[:, 0] == factors[:, 2]) and np.all(factors[:, 1] > 10 * factors[:, 0])
    _, read = lutfile.read(tmp_path / "t.lut")
    a, b = read["mix"][0].reshape(81, 8, 3), tables["mix"][0].reshape(81, 8, 3)
    for cols in ([1], [0, 2]):
        steps = np.abs(b[..., cols]).max(axis=(0, 2)) / 127 * 1.0001
        assert np.all(np.abs(a[..., cols] - b[..., cols]).max(axis=(0, 2)) <= steps)   # each group's own step


def test_rejects_corruption(tmp_path):
    path, _ = _model(tmp_path, "int8")
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(lutfile.LutFileError, match="CRC"):
        lutfile.read(path)
    path.write_bytes(b"NOTALUT!" + bytes(raw[8:]))
    with pytest.raises(lutfile.LutFileError):
        lutfile.read(path)


def test_simplex_weights_and_vertices():
    img = np.array([[0, 8, 255], [100, 17, 3], [40, 41, 42]], dtype=np.uint8)
    levels = srlut.uniform_levels(17)
    idx, w = srlut.simplex(img, "S", levels)
    assert np.allclose(w.sum(-1), 1.0) and (w >= -1e-12).all()
    # anchor (0,0): a=0 b=8 c=100 d=17 -> cells 0,0,6,1, fractions 0, .5, .25, .0625
    base = ((0 * 17 + 0) * 17 + 6) * 17 + 1
    assert idx[0, 0, 0] == base
    assert idx[0, 0, 1] == base + 17 ** 2                       # b has the largest fraction
    assert idx[0, 0, 2] == base + 17 ** 2 + 17                  # then c
    assert np.allclose(w[0, 0], [0.5, 0.25, 0.1875, 0.0625, 0.0])


@pytest.mark.parametrize("scale,published", [(3, 31.971)])
def test_published_srlut_table(tmp_path, scale, published):
    npy = SHARED / "reference" / "srlut" / f"Model_S_x{scale}_4bit_int8.npy"
    ev = step("5_eval")
    header, tables = ev.srlut_reference(npy, scale)
    lutfile.write(tmp_path / "ref.lut", header, tables, "int8")
    header, tables = lutfile.read(tmp_path / "ref.lut")
    assert abs(ev.evaluate_set5(header, tables, rgb=True)["mean"] - published) < 0.005
