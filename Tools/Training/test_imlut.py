"""The imlut reference forward (imlut.py) on tiny cases whose answer is known independently, and its file round
trip through lutfile."""
import json
import math
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imlut  # noqa: E402
import srlut  # noqa: E402
import lutfile  # noqa: E402
from common import step  # noqa: E402
from imresize import cubic  # noqa: E402

NAMES = ["constant", "bilinear", "bicubic", "lanczos3"]       # K = 4 with 2 x 2 nodes: N*N*K = 16


def _header(n_nodes=2, levels=(0, 64, 128, 192, 256), rotations=4, patterns=("S",), names=NAMES):
    luts = [{"pattern": p, "rotations": rotations, "levels": list(levels)} for p in patterns]
    return imlut.make_header("t", [1.5, 2, 3, 4], n_nodes, names, luts)


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
    tables = {"mix": [imlut.selecting_table(5, header, "bicubic", 0.25)]}
    p = _plane()
    got = imlut.run_model(p, *out_shape, header, tables, return_float=True)
    assert np.allclose(got, _bicubic_by_loops(p, *out_shape), atol=1e-9)


def test_constant_only_gives_the_bias():
    header = _header(rotations=1)
    tables = {"mix": [imlut.selecting_table(5, header, "constant", 37.6)]}
    out = imlut.run_model(_plane(), 12, 20, header, tables)
    assert np.all(out == 38)
    # the constant candidate is 1 in the 8-bit domain: 2^(d-8) in a d-bit plane, so the bias scales with it
    ten = imlut.run_model(_plane().astype(np.uint16) * 4 + 3, 12, 20, header, tables, bit_depth=10)
    assert ten.dtype == np.uint16 and np.all(ten == 150)                # round(37.6 * 4 = 150.4)


def test_nearest_selecting_model_repeats_pixels_at_integer_scale():
    header = _header(names=["constant", "nearest", "bicubic", "lanczos3"])
    tables = {"mix": [imlut.selecting_table(5, header, "nearest", 0.25)]}
    p = _plane()
    assert np.array_equal(imlut.run_model(p, 21, 27, header, tables), np.repeat(np.repeat(p, 3, 0), 3, 1))


def _random_tables(header, seed=5, spread=0.3):
    rng = np.random.default_rng(seed)
    mix = []
    for lut in header["mix"]["luts"]:
        t = rng.normal(0, spread, size=(len(lut["levels"]) ** 4, imlut.mix_outputs(header) // len(header["interpolators"]),
                                        len(header["interpolators"])))
        if "constant" in header["interpolators"]:
            t[..., header["interpolators"].index("constant")] *= 20     # a residual in 8-bit levels
        mix.append(t.reshape(t.shape[0], -1))
    return {"mix": mix}


@pytest.mark.parametrize("n_nodes,names", [(2, NAMES), (3, ["bicubic"]), (4, ["lanczos3"]),
                                           ([2, 2, 3, 3], ["constant", "bicubic"])])
@pytest.mark.parametrize("shape,out_shape", [((8, 8), (24, 24)), ((6, 9), (12, 27)), ((7, 5), (14, 20))])
def test_rotations_commute_with_rotating_the_image(n_nodes, names, shape, out_shape):
    """With rotations 4, upscaling the image rotated by 90 degrees gives the rotated upscaled image, for any
    tables: this ties the rotation of the pattern reads to the rotation of the phase nodes. Scales are integers
    so that no phase sits exactly at -0.5 (the anchor rule floor(u + 0.5) is not mirror symmetric there)."""
    header = _header(n_nodes=n_nodes, patterns=("S", "Y"), names=names)
    tables = _random_tables(header)
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


def test_resampled_levels_keep_the_model():
    """Tables moved onto other levels (fine-tuning's --levels): on a refining lattice the old entries keep their
    values and the model its every output; on any lattice a table affine in the four inputs (which the simplex
    interpolation reproduces exactly) gives the same outputs; the same levels give the same table."""
    old = srlut.uniform_levels(5)
    header = _header(patterns=("S", "D"), levels=old)
    tables = _random_tables(header, spread=0.1)
    p = _plane(9, 8)
    fine = srlut.uniform_levels(9)                    # 0, 32, ... 256: every old level is one of them
    refined = [imlut.resample_levels(t, old, fine) for t in tables["mix"]]
    at_old = np.ix_(*[np.searchsorted(fine, old)] * 4)
    for t, r in zip(tables["mix"], refined):
        assert np.array_equal(r.reshape((9,) * 4 + (-1,))[at_old], t.reshape((5,) * 4 + (-1,)))
        assert np.array_equal(imlut.resample_levels(t, old, old), t)
    moved = _header(patterns=("S", "D"), levels=fine)
    before = imlut.run_model(p, 20, 17, header, tables, return_float=True)
    assert np.allclose(imlut.run_model(p, 20, 17, moved, {"mix": refined}, return_float=True), before, atol=1e-9)
    corners = np.stack(np.meshgrid(*[np.array(old, float)] * 4, indexing="ij"), -1).reshape(-1, 4)
    slopes = np.random.default_rng(5).normal(0, 1e-3, size=(4, tables["mix"][0].shape[1]))
    affine = [corners @ slopes + t.mean(0) for t in tables["mix"]]
    seven = srlut.uniform_levels(7)                   # 43, 85, ...: not a refinement of 0, 64, ...
    moved = _header(patterns=("S", "D"), levels=seven)
    assert np.allclose(imlut.run_model(p, 20, 17, moved, {"mix": [imlut.resample_levels(t, old, seven) for t in affine]},
                                       return_float=True),
                       imlut.run_model(p, 20, 17, header, {"mix": affine}, return_float=True), atol=1e-9)


@pytest.mark.parametrize("new_nodes", [[3, 3, 3, 3], [2, 2, 3, 3], [2, 3, 2, 2]])
def test_refined_nodes_keep_the_model(new_nodes):
    """Tables carried from 2 x 2 to 3 x 3 phase nodes in some or all bins (fine-tuning's --nodes): the same outputs
    at every scale (a bilinear blend of the 3 x 3 values is one of the 2 x 2 ones), the old nodes kept as they
    were; 2 to 2 is the identity."""
    header = _header(patterns=("S", "D"))
    tables = _random_tables(header, spread=0.1)
    p = _plane(9, 8)
    k = len(header["interpolators"])
    refined = [imlut.refine_nodes(t, header, new_nodes) for t in tables["mix"]]
    finer = _header(n_nodes=new_nodes, patterns=("S", "D"))
    for t, r in zip(tables["mix"], refined):
        assert np.array_equal(imlut.refine_nodes(t, header, [2] * 4), t)
        for old, new, n in zip(imlut.bin_blocks(t, header), imlut.bin_blocks(r, finer), new_nodes):
            assert np.allclose(new.reshape(-1, n, n, k)[:, ::n - 1, ::n - 1], old.reshape(-1, 2, 2, k))
    for out_h, out_w in [(20, 17), (9, 10), (14, 36), (25, 24), (32, 32)]:
        assert np.allclose(imlut.run_model(p, out_h, out_w, finer, {"mix": refined}, return_float=True),
                           imlut.run_model(p, out_h, out_w, header, tables, return_float=True), atol=1e-9)


def test_nodes_per_bin_follow_the_bins_a_scale_blends():
    """With 3 x 3 nodes in the bins 3 and 4 only, scales up to 2 run on 2 x 2 nodes, scales above 2 on 3 x 3; a
    2 x 2 bin blended with a 3 x 3 one enters at the 3 x 3 grid's nodes."""
    header = _header(n_nodes=[2, 2, 3, 3], names=["constant", "bicubic"])
    assert imlut.bin_nodes(header) == [2, 2, 3, 3] and imlut.mix_outputs(header) == (4 + 4 + 9 + 9) * 2
    assert [imlut.plan_nodes(header, imlut.bin_weights(s, header["scale_bins"])) for s in (1.2, 2, 2.01, 3, 6)] == \
        [2, 2, 3, 3, 3]
    t = _random_tables(header)["mix"][0]
    g = imlut.bin_weights(2.5, header["scale_bins"])
    blocks = imlut.bin_blocks(t, header)
    want = 0.5 * np.einsum("ji,eik->ejk", imlut.node_matrix(2, 3), blocks[1]) + 0.5 * blocks[2]
    assert np.allclose(imlut.blend(t, header, g), want.reshape(len(t), -1))
    assert imlut.make_header("t", [2, 4], [3, 3], ["bicubic"], header["mix"]["luts"])["phase_nodes"] == 3


def test_inserted_bins_keep_the_model():
    """Bins added between, below and above the old ones (fine-tuning's --bins), on mixed node counts: the same
    outputs at every scale, the old bins' tables as they were."""
    header = _header(n_nodes=[2, 2, 3, 3], patterns=("S",))
    tables = _random_tables(header, spread=0.1)
    new_bins = [1.25, 1.5, 2, 2.5, 3, 3.5, 4, 5]
    moved = [imlut.insert_bins(t, header, new_bins) for t in tables["mix"]]
    wider = imlut.make_header("t", new_bins, [2, 2, 2, 3, 3, 3, 3, 3], header["interpolators"], header["mix"]["luts"])
    assert moved[0].shape[1] == imlut.mix_outputs(wider)
    kept = imlut.bin_blocks(moved[0], wider)
    for b, block in zip(header["scale_bins"], imlut.bin_blocks(tables["mix"][0], header)):
        assert np.array_equal(kept[new_bins.index(b)], block)
    p = _plane(8, 7)
    for out_h, out_w in [(12, 10), (20, 17), (24, 21), (28, 28), (40, 35)]:
        assert np.allclose(imlut.run_model(p, out_h, out_w, wider, {"mix": moved}, return_float=True),
                           imlut.run_model(p, out_h, out_w, header, tables, return_float=True), atol=1e-9)
    with pytest.raises(ValueError, match="keep every old one"):
        imlut.insert_bins(tables["mix"][0], header, [1.5, 2, 4])


def test_ten_bit_is_the_eight_bit_domain_scaled():
    """A 10-bit plane that is 4 x an 8-bit one gives 4 x its float output (levels, candidates and constant all
    scale by 4), clamped to 1023 rather than 255."""
    header = _header(patterns=("S", "D"))
    tables = _random_tables(header, spread=0.1)
    p = _plane(9, 8)
    eight = imlut.run_model(p, 20, 17, header, tables, return_float=True)
    ten = imlut.run_model(p.astype(np.uint16) * 4, 20, 17, header, tables, return_float=True, bit_depth=10)
    assert np.array_equal(ten, 4 * eight)
    out = imlut.run_model(p.astype(np.uint16) * 4, 20, 17, header, tables, bit_depth=10)
    assert np.array_equal(out, np.round(np.clip(4 * eight, 0, 1023)).astype(np.uint16))


def test_previous_design_and_too_many_values_are_rejected(tmp_path):
    header = _header()
    lut = header["mix"]["luts"][0]
    for bad, message in [({**header, "refine": {"luts": [lut]}}, "refine"),
                         ({**header, "ensemble": "transpose"}, "ensemble"),
                         ({**header, "ensemble": "none"}, "ensemble"),
                         ({**header, "mix": {"luts": [{**lut, "dilation": "scale"}]}}, "dilation")]:
        with pytest.raises(ValueError, match=message):
            imlut.check_header(bad)
    imlut.check_header({**header, "refine": None})                        # an old fit's null refine is harmless
    with pytest.raises(ValueError, match="N\\*N\\*K = 50"):
        _header(n_nodes=5, names=["bilinear", "bicubic"])
    with pytest.raises(ValueError, match="N\\*N\\*K = 49"):
        _header(n_nodes=7, names=["bicubic"])
    _header(n_nodes=4, names=["constant", "bilinear", "bicubic"])          # 48: the most allowed
    with pytest.raises(ValueError, match="N\\*N\\*K = 50"):
        _header(n_nodes=[2, 2, 2, 5], names=["bilinear", "bicubic"])     # the largest bin's nodes count
    for nodes, message in [([2, 2, 3], "3 counts for 4 scale bins"), ([2, 1, 2, 2], "integers >= 2"),
                           ([2, 2, 2.5, 3], "integers >= 2")]:
        with pytest.raises(ValueError, match=message):
            imlut.check_header({**header, "phase_nodes": nodes})
    # the reader refuses a file of the previous design (this file with "ensemble" put into its header)
    lutfile.write(tmp_path / "m.lut", header, _random_tables(header), "float32")
    raw = (tmp_path / "m.lut").read_bytes()
    length = int.from_bytes(raw[12:16], "little")
    payload = raw[lutfile._align(16 + length):-4]
    text = json.dumps({**json.loads(raw[16:16 + length]), "ensemble": "transpose"}).encode()
    head = lutfile.MAGIC + struct.pack("<II", 1, len(text)) + text
    body = head + bytes(lutfile._align(len(head)) - len(head)) + payload
    (tmp_path / "old.lut").write_bytes(body + struct.pack("<I", zlib.crc32(body)))
    with pytest.raises(lutfile.LutFileError, match="ensemble"):
        lutfile.read(tmp_path / "old.lut")


@pytest.mark.parametrize("type_name,tolerance", [("float32", 1e-5), ("int8", 0.02), ("int16", 1e-4)])
def test_file_round_trip(tmp_path, type_name, tolerance):
    """Tables through the file: the constant column (weights in 8-bit levels, ~25 x the others) gets its own step
    per (bin, node) in output_scales, the other K - 1 weights of a (bin, node) one shared step each."""
    header = _header(patterns=("S", "D"))
    tables = _random_tables(header, seed=2, spread=0.5)
    path = tmp_path / "m.lut"
    written = lutfile.write(path, header, tables, type_name)
    read_header, read_tables = lutfile.read(path)
    assert read_header == written and read_header["kind"] == "imlut" and "refine" not in read_header
    k_count, nodes = len(NAMES), 4 * 4                                        # 4 bins x 2 x 2 nodes
    const = NAMES.index("constant")
    for lut, a, b in zip(read_header["mix"]["luts"], tables["mix"], read_tables["mix"], strict=True):
        assert lut["table"]["outputs"] == nodes * k_count
        runs_a, runs_b = a.reshape(-1, nodes, k_count), b.reshape(-1, nodes, k_count)
        for cols in ([const], [k for k in range(k_count) if k != const]):
            err = np.abs(runs_a[..., cols] - runs_b[..., cols]).max(axis=(0, 2))
            peak = np.abs(runs_a[..., cols]).max(axis=(0, 2))
            assert np.all(err <= tolerance * peak), (cols, err / peak)
        if type_name == "float32":
            assert "output_scales" not in lut["table"]
            continue
        factors = np.asarray(lut["table"]["output_scales"]).reshape(nodes, k_count)
        # the constant's factor is its own; the other K - 1 share one per (bin, node), the largest of all is 1
        others = np.delete(factors, const, axis=1)
        assert np.all(others == others[:, :1]) and factors.max() == 1.0
        assert np.all(factors[:, const] > 5 * others[:, 0])
        stored = np.rint(b / (lut["table"]["scale"] * np.asarray(lut["table"]["output_scales"])))
        top = np.iinfo(np.int8 if type_name == "int8" else np.int16).max
        assert np.abs(stored.reshape(-1, nodes, k_count)[..., const]).max(axis=0).min() >= top - 1
        # sum-keeping over the non-constant weights of each (bin, node)
        step = lut["table"]["scale"] * others[:, 0]
        real_sum = np.delete(runs_a, const, axis=2).sum(axis=2) / step
        assert np.array_equal(np.delete(stored.reshape(-1, nodes, k_count), const, axis=2).sum(axis=2),
                              np.round(real_sum))


def test_int8_constant_step_beats_a_shared_step(tmp_path):
    """A constant column that shared its (bin, node)'s step would coarsen the other weights 20-fold."""
    header = _header()
    tables = _random_tables(header, seed=3, spread=0.3)
    t = tables["mix"][0]
    stored, scale, factors = lutfile.quantize(t, "int8", run=4)            # the constant inside the run
    shared = stored * scale * np.asarray(factors)
    lutfile.write(tmp_path / "m.lut", header, tables, "int8")
    own = lutfile.read(tmp_path / "m.lut")[1]["mix"][0]
    dimensionless = np.arange(t.shape[1]) % 4 != NAMES.index("constant")
    assert np.abs(own - t)[:, dimensionless].mean() * 10 < np.abs(shared - t)[:, dimensionless].mean()


def test_unknown_kind_is_rejected(tmp_path):
    header = {"kind": "other", "name": "x"}
    with pytest.raises(lutfile.LutFileError):
        lutfile.write(tmp_path / "x.lut", header, [], "int8")


def _pre_header(patterns=("S", "D"), levels=(0, 64, 128, 192, 256)):
    luts = [{"pattern": p, "rotations": 4, "levels": list(levels)} for p in ("S", "D")]
    pre = [[{"pattern": p, "rotations": 4, "levels": list(levels)} for p in patterns]]
    return imlut.make_header("t", [1.5, 2, 3, 4], 2, NAMES, luts, pre_luts=pre)


def _pre_tables(header, seed=7, spread=4.0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(0, spread, size=(len(l["levels"]) ** 4, 1)) for l in stage["luts"]]
            for stage in header["pre_stages"]]


@pytest.mark.parametrize("shape", [(7, 9), (4, 4), (1, 6)])
def test_pre_stage_is_an_srlut_x1_stage(shape):
    """A pre-stage computes what the srlut kind computes for the same stage at upscale 1 (rotate, look up, rotate
    back; reflect padding), clamped and rounded to 8 bits."""
    header = _pre_header()
    pre = _pre_tables(header)
    p = _plane(*shape)
    want = srlut.to_plane(srlut.run_stage(p, header["pre_stages"][0], pre[0]))
    assert np.array_equal(imlut.pre_stage(p, header["pre_stages"][0], pre[0]), want)


@pytest.mark.parametrize("bit_depth", [8, 10])
def test_the_mix_and_candidates_read_the_pre_stage_output(bit_depth):
    """A model with a pre-stage gives what the same model without it gives on the pre-stage's rounded output."""
    header = _pre_header()
    tables = _random_tables(header) | {"pre": _pre_tables(header)}
    f = 2 ** (bit_depth - 8)
    p = np.random.default_rng(4).integers(0, 256 * f, size=(8, 11)).astype(np.uint16 if f > 1 else np.uint8)
    refined = imlut.pre_stage(p / f, header["pre_stages"][0], tables["pre"][0], bit_depth) * f
    assert np.all(refined == np.round(refined)) and not np.array_equal(refined, p)
    plain = {k: v for k, v in header.items() if k != "pre_stages"}
    got = imlut.run_model(p, 19, 30, header, tables, return_float=True, bit_depth=bit_depth)
    want = imlut.run_model(refined.astype(p.dtype), 19, 30, plain, {"mix": tables["mix"]}, return_float=True,
                           bit_depth=bit_depth)
    assert np.allclose(got, want, rtol=0, atol=1e-9)


def test_pre_stage_tables_round_trip_through_the_file(tmp_path):
    header = _pre_header()
    tables = _random_tables(header) | {"pre": _pre_tables(header)}
    written = lutfile.write(tmp_path / "m.lut", header, tables, {"pre": "int16", "mix": "float32"})
    read_header, read_tables = lutfile.read(tmp_path / "m.lut")
    assert read_header == written and [l["table"]["type"] for l in written["pre_stages"][0]["luts"]] == ["int16"] * 2
    # one power-of-two step per pre-stage table: the engine's fixed point holds its values exactly
    assert all(math.log2(l["table"]["scale"]).is_integer() for l in written["pre_stages"][0]["luts"])
    for a, b in zip(tables["pre"][0], read_tables["pre"][0], strict=True):
        assert np.allclose(a, b, rtol=0, atol=np.abs(a).max() / 16383)
    for a, b in zip(tables["mix"], read_tables["mix"], strict=True):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6)


def test_bad_pre_stages_are_refused():
    header = _pre_header()
    stage = header["pre_stages"][0]
    for bad in ({**stage, "upscale": 2}, {**stage, "luts": []},
                {**stage, "luts": [{**stage["luts"][0], "pattern": "Q"}]}):
        with pytest.raises(ValueError, match="pre_stages"):
            imlut.check_header({**header, "pre_stages": [bad]})


def test_mix_luts_take_types_of_their_own(tmp_path):
    """A file whose mix luts have types of their own (8_export_imlut.py's type plans: int16 for the first luts,
    int8 for the rest) reads back within each type's step, and the plans go from all int8 to all int16."""
    header = _pre_header()
    tables = _random_tables(header) | {"pre": _pre_tables(header)}
    written = lutfile.write(tmp_path / "m.lut", header, tables, {"pre": "int16", "mix": ["int16", "int8"]})
    assert [l["table"]["type"] for l in written["mix"]["luts"]] == ["int16", "int8"]
    assert [l["table"]["type"] for l in written["pre_stages"][0]["luts"]] == ["int16"] * 2
    _, read = lutfile.read(tmp_path / "m.lut")
    for a, b, unit in zip(tables["mix"], read["mix"], (1 / 16000, 1 / 60), strict=True):
        assert np.abs(a - b).max() <= unit * np.abs(a).max()
    with pytest.raises(ValueError):
        lutfile.write(tmp_path / "bad.lut", header, tables, {"pre": "int16", "mix": ["int16"]})
    plans = step("8_export_imlut").type_plans(3)
    assert [p["mix"] for p in plans] == [["int8"] * 3, ["int16", "int8", "int8"], ["int16", "int16", "int8"], ["int16"] * 3]
    assert [p["pre"] for p in plans] == ["int8", "int16", "int16", "int16"]
