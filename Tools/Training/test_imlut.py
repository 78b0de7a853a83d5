"""The imlut reference forward (imlut.py) on tiny cases whose answer is known independently, and its file round
trip through lutfile."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imlut  # noqa: E402
import lutfile  # noqa: E402
from imresize import cubic  # noqa: E402

NAMES = ["constant", "nearest", "bilinear", "bicubic", "lanczos3"]


def _header(n_nodes=3, levels=(0, 64, 128, 192, 256), rotations=4, refine=None, patterns=("S",)):
    luts = [{"pattern": p, "rotations": rotations, "levels": list(levels)} for p in patterns]
    return imlut.make_header("t", [1.5, 2, 3, 4], n_nodes, NAMES, luts, refine)


def _plane(h=7, w=9, seed=3):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w)).astype(np.uint8)


def _bicubic_by_loops(p, out_h, out_w):
    """Keys bicubic at centre-aligned positions, taps clamped, written pixel by pixel."""
    h, w = p.shape
    out = np.zeros((out_h, out_w))
    for y in range(out_h):
        v = (y + 0.5) * h / out_h - 0.5
        for x in range(out_w):
            u = (x + 0.5) * w / out_w - 0.5
            acc = wsum = 0.0
            for ty in range(math.floor(v) - 1, math.floor(v) + 3):
                for tx in range(math.floor(u) - 1, math.floor(u) + 3):
                    k = float(cubic(np.array(v - ty)) * cubic(np.array(u - tx)))
                    acc += k * p[min(max(ty, 0), h - 1), min(max(tx, 0), w - 1)]
                    wsum += k
            out[y, x] = acc / wsum
    return out


@pytest.mark.parametrize("out_shape", [(14, 18), (17, 23), (21, 13), (56, 72)])
def test_bicubic_selecting_model_is_bicubic(out_shape):
    header = _header()
    # 4 rotations each give weight 1/4 to bicubic at every node: W_bicubic = 1, the rest 0
    tables = {"mix": [imlut.selecting_table(5, header, "bicubic", 0.25)], "refine": []}
    p = _plane()
    got = imlut.run_model(p, *out_shape, header, tables, return_float=True)
    assert np.allclose(got, _bicubic_by_loops(p, *out_shape), atol=1e-9)


def test_constant_only_gives_the_bias():
    header = _header(rotations=1)
    tables = {"mix": [imlut.selecting_table(5, header, "constant", 37.6)], "refine": []}
    out = imlut.run_model(_plane(), 12, 20, header, tables)
    assert np.all(out == 38)


def test_nearest_selecting_model_repeats_pixels_at_integer_scale():
    header = _header(n_nodes=2)
    tables = {"mix": [imlut.selecting_table(5, header, "nearest", 0.25)], "refine": []}
    p = _plane()
    assert np.array_equal(imlut.run_model(p, 21, 27, header, tables), np.repeat(np.repeat(p, 3, 0), 3, 1))


@pytest.mark.parametrize("n_nodes", [2, 3, 4])
@pytest.mark.parametrize("shape,out_shape", [((8, 8), (24, 24)), ((6, 9), (12, 27)), ((7, 5), (14, 20))])
def test_rotation_ensemble_commutes_with_rotating_the_image(n_nodes, shape, out_shape):
    """With rotations 4, upscaling the image rotated by 90 degrees gives the rotated upscaled image, for any
    tables: this ties the rotation of the pattern reads to the rotation of the phase nodes. Scales are integers
    so that no phase sits exactly at -0.5 (the anchor rule floor(u + 0.5) is not mirror symmetric there)."""
    rng = np.random.default_rng(5)
    header = _header(n_nodes=n_nodes, patterns=("S", "Y"),
                     refine=[{"pattern": "D", "rotations": 4, "levels": [0, 100, 256]}])
    mix = [rng.normal(0, 0.3, size=(625, imlut.mix_outputs(header))) for _ in range(2)]
    refine = [rng.normal(0, 2, size=(81, 4))]
    tables = {"mix": mix, "refine": refine}
    p = _plane(*shape)
    out = imlut.run_model(p, *out_shape, header, tables, return_float=True)
    for k in (1, 2, 3):
        rot = imlut.run_model(np.ascontiguousarray(np.rot90(p, k)), *np.rot90(out, k).shape, header, tables,
                              return_float=True)
        assert np.allclose(rot, np.rot90(out, k), atol=1e-9), k


def test_scale_blend():
    bins = [1.5, 2, 3, 4]
    assert np.allclose(imlut.bin_weights(1.0, bins), [1, 0, 0, 0])
    assert np.allclose(imlut.bin_weights(2.5, bins), [0, 0.5, 0.5, 0])
    assert np.allclose(imlut.bin_weights(3.0, bins), [0, 0, 1, 0])
    assert np.allclose(imlut.bin_weights(7.0, bins), [0, 0, 0, 1])


def test_refine_adds_its_table_value():
    """A refine table that is a constant per bin adds the blended constant (4 rotations) to the clamped mix."""
    header = _header(refine=[{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}])
    refine = np.tile(np.array([[0.5, 1.0, 2.0, 3.0]]), (81, 1))
    tables = {"mix": [imlut.selecting_table(5, header, "bicubic", 0.25)], "refine": [refine]}
    p = _plane()
    plain = imlut.run_model(p, 17, 22, {**header, "refine": None}, tables, return_float=True)
    got = imlut.run_model(p, 17, 22, header, tables, return_float=True)
    s = math.sqrt(17 / 7 * 22 / 9)                                   # between bins 2 and 3
    assert np.allclose(got, np.clip(plain, 0, 255) + 4 * (1.0 + (s - 2) * 1.0), atol=1e-9)


@pytest.mark.parametrize("scale,d", [(2.4, 2), (2.5, 3), (4.0, 4)])
def test_dilated_refine_reads_the_plane_d_apart(scale, d, tmp_path):
    """A refine lut with "dilation": "scale" is the undilated lut run on each of the d x d polyphase sub-planes
    (away from the border, where the two pad differently); d = floor(scale + 0.5)."""
    rng = np.random.default_rng(5)
    lut = {"pattern": "Y", "rotations": 4, "levels": [0, 100, 256]}
    header = _header(refine=[{**lut, "dilation": "scale"}])
    table = rng.normal(0, 1, size=(81,))
    m = rng.uniform(0, 255, size=(40, 44))
    got = imlut.refine_values(m, header, [table], scale)
    plain = {**header, "refine": {"luts": [lut]}}
    for oy in range(d):
        for ox in range(d):
            want = imlut.refine_values(m[oy::d, ox::d], plain, [table], scale)
            assert np.allclose(got[oy::d, ox::d][4:-4, 4:-4], want[4:-4, 4:-4], atol=1e-9)
    with pytest.raises(ValueError, match="dilation"):
        _header(refine=[{**lut, "dilation": 2}])
    mix = [imlut.selecting_table(5, header, "bicubic", 0.25)]
    written = lutfile.write(tmp_path / "d.lut", header, {"mix": mix, "refine": [np.tile(table[:, None], (1, 4))]}, "float32")
    assert lutfile.read(tmp_path / "d.lut")[0]["refine"]["luts"][0]["dilation"] == written["refine"]["luts"][0]["dilation"] == "scale"


@pytest.mark.parametrize("type_name,tolerance", [("float32", 1e-5), ("int8", 0.02)])
def test_file_round_trip(tmp_path, type_name, tolerance):
    rng = np.random.default_rng(2)
    header = _header(refine=[{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}])
    tables = {"mix": [rng.normal(0, 0.5, size=(625, imlut.mix_outputs(header)))],
              "refine": [rng.normal(0, 1, size=(81, 4))]}
    path = tmp_path / "m.lut"
    written = lutfile.write(path, header, tables, type_name)
    read_header, read_tables = lutfile.read(path)
    assert read_header == written and read_header["kind"] == "imlut"
    assert read_header["mix"]["luts"][0]["table"]["outputs"] == 4 * 9 * 5
    assert read_header["refine"]["luts"][0]["table"]["outputs"] == 4
    for group in ("mix", "refine"):
        for a, b in zip(tables[group], read_tables[group], strict=True):
            assert np.max(np.abs(a - b)) <= tolerance * np.max(np.abs(a))
    no_refine = {**header, "refine": None}
    lutfile.write(path, no_refine, {"mix": tables["mix"], "refine": []}, type_name)
    assert lutfile.read(path)[1]["refine"] == []


def test_types_per_table_group(tmp_path):
    header = _header(refine=[{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}])
    rng = np.random.default_rng(4)
    tables = {"mix": [rng.normal(0, 0.5, size=(625, imlut.mix_outputs(header)))],
              "refine": [rng.normal(0, 1, size=(81, 4))]}
    written = lutfile.write(tmp_path / "m.lut", header, tables, {"mix": "int16", "refine": "int8"})
    assert written["mix"]["luts"][0]["table"]["type"] == "int16"
    assert written["refine"]["luts"][0]["table"]["type"] == "int8"
    assert (tmp_path / "m.lut").stat().st_size > 625 * 180 * 2


def test_unknown_kind_is_rejected(tmp_path):
    header = {"kind": "other", "name": "x"}
    with pytest.raises(lutfile.LutFileError):
        lutfile.write(tmp_path / "x.lut", header, [], "int8")


def _random_tables(header, seed=5):
    rng = np.random.default_rng(seed)
    e = [len(l["levels"]) ** 4 for l in header["mix"]["luts"]]
    mix = [rng.normal(0, 0.1, (n, imlut.mix_outputs(header))) + 0.2 for n in e]
    refine = [rng.normal(0, 2, (len(l["levels"]) ** 4, len(header["scale_bins"]))) for l in header["refine"]["luts"]]
    return {"mix": mix, "refine": refine}


def test_transpose_ensemble_is_the_mean_of_the_two_runs_and_transpose_equivariant():
    header = _header(refine=[{"pattern": "Y", "rotations": 4, "levels": [0, 128, 256], "dilation": "scale"}],
                     patterns=("S", "D"))
    tables = _random_tables(header)
    p, (oh, ow) = _plane(7, 9), (16, 22)
    plain = imlut.run_model(p, oh, ow, header, tables, return_float=True)
    flipped = imlut.run_model(p.T.copy(), ow, oh, header, tables, return_float=True).T
    assert np.abs(plain - flipped).max() > 1       # one run alone is not transpose-equivariant
    ensemble = {**header, "ensemble": "transpose"}
    both = imlut.run_model(p, oh, ow, ensemble, tables, return_float=True)
    np.testing.assert_allclose(both, (plain + flipped) / 2, atol=1e-9)
    np.testing.assert_array_equal(imlut.run_model(p.T.copy(), ow, oh, ensemble, tables).T,
                                  imlut.run_model(p, oh, ow, ensemble, tables))


def test_ensemble_names_are_checked_and_round_trip(tmp_path):
    header = imlut.make_header("t", [2, 4], 2, ["bicubic"], [{"pattern": "S", "rotations": 4, "levels": [0, 256]}],
                               None, ensemble="transpose")
    assert header["ensemble"] == "transpose"
    assert "ensemble" not in imlut.make_header("t", [2, 4], 2, ["bicubic"], header["mix"]["luts"], None)
    with pytest.raises(ValueError, match="ensemble"):
        imlut.check_header({**header, "ensemble": "flip"})
    tables = {"mix": [np.ones((16, imlut.mix_outputs(header)))], "refine": []}
    lutfile.write(tmp_path / "e.lut", header, tables, "float32")
    assert lutfile.read(tmp_path / "e.lut")[0]["ensemble"] == "transpose"
