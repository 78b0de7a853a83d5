"""Step 7 (7_finetune_imlut.py): its crops (every LR the MATLAB bicubic shrink of its HR, also when mirrored), the
mix luts it drops and the pre-stages it adds, its start from a model file, and step 8's record of all of it."""
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import step  # noqa: E402
import imlut  # noqa: E402
from imresize import imresize  # noqa: E402
import lutfile  # noqa: E402

finetune = step("7_finetune_imlut")


def _ramps() -> list[np.ndarray]:
    """Planes rising left to right (each with its own slope and texture), so a mirrored crop falls."""
    rng = np.random.default_rng(3)
    return [np.clip(np.arange(300)[None, :] * slope + rng.integers(0, 3, size=(200, 300)), 0, 255).astype(np.uint8)
            for slope in (0.5, 0.8)]


@pytest.mark.parametrize("flip", [False, True])
def test_crops_are_consistent_pairs_and_mirrored_only_when_asked(flip):
    side, mirrored, total = 12, 0, 0
    for lr, hr in itertools.islice(finetune.batches(_ramps(), 4, side, 0.25, 4.0, seed=5, flip=flip), 8):
        assert lr.shape[1:] == (side, side) and len(hr) == len(lr) == 4
        for lo, hi in zip(lr, hr, strict=True):
            assert np.array_equal(lo, imresize(hi, out_shape=(side, side)))
            mirrored += int(hi[:, 0].mean() > hi[:, -1].mean())
            total += 1
    assert (0 < mirrored < total) if flip else mirrored == 0


def test_crops_are_deterministic_for_a_seed():
    take = [list(itertools.islice(finetune.batches(_ramps(), 2, 10, 0.25, 3.0, seed=9, flip=True), 3))
            for _ in range(2)]
    assert all(np.array_equal(a, b) for (la, ha), (lb, hb) in zip(*take, strict=True) for a, b in ((la, lb), (ha, hb)))


def test_dropped_luts_leave_the_others_with_their_tables():
    header = {"name": "m", "mix": {"luts": [{"pattern": p} for p in "SDYI"]}}
    tables = {"mix": [np.full((2, 3), j) for j in range(4)], "pre": []}
    got_header, got_tables = finetune.drop_luts(header, tables, {"Y"})
    assert [lut["pattern"] for lut in got_header["mix"]["luts"]] == ["S", "D", "I"]
    assert [int(t[0, 0]) for t in got_tables["mix"]] == [0, 1, 3] and got_tables["pre"] == []
    assert [lut["pattern"] for lut in header["mix"]["luts"]] == list("SDYI")      # the fit's own header untouched
    with pytest.raises(ValueError):
        finetune.drop_luts(header, tables, {"T"})
    with pytest.raises(ValueError):
        finetune.drop_luts(header, tables, set("SDYI"))


def test_export_names_the_fine_tunings_photo_sizes_where_they_differ_from_the_fits():
    export = step("8_export_imlut")
    fit = {"hr_long_side": 1024}
    assert export._finetune_data(fit) == ""
    assert export._finetune_data(dict(fit, finetune={"long_sides": [1024], "flip": False})) == ""
    assert export._finetune_data(dict(fit, finetune={"long_sides": [2048]})).endswith("shrunk to 2048 px long side")
    assert export._finetune_data(dict(fit, finetune={"long_sides": [1024, 1448], "flip": True})).endswith(
        "shrunk to 1024 / 1448 px long sides, half of them mirrored")


def test_pre_stages_are_added_in_order_as_the_identity():
    header = imlut.make_header("m", [2, 4], 2, ["constant", "bicubic"],
                               [{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}])
    tables = {"mix": [imlut.selecting_table(3, header, "bicubic")]}
    got_header, got_tables = finetune.add_pre_stages(header, tables, ["S:3", "S:5,D:3"], 4)
    assert [[(l["pattern"], len(l["levels"]), l["rotations"]) for l in stage["luts"]]
            for stage in got_header["pre_stages"]] == [[("S", 3, 4)], [("S", 5, 4), ("D", 3, 4)]]
    assert [[t.shape for t in stage] for stage in got_tables["pre"]] == [[(81, 1)], [(625, 1), (81, 1)]]
    plane = np.random.default_rng(1).integers(0, 256, size=(9, 11)).astype(np.float64)
    assert np.array_equal(imlut.pre_stages(plane, got_header, got_tables), plane)      # zero tables: the identity
    export = step("8_export_imlut")
    assert export._pre_stages(got_header) == " with pre-stages S:3, then S:5,D:3"
    assert export._pre_stages(header) == ""


def test_bins_and_nodes_are_refined_with_pre_stages_kept():
    """--bins and --nodes carry a model with a pre-stage to more bins and 3 x 3 nodes (all bins or some): the same
    outputs, the pre-stage's tables as they were."""
    header = imlut.make_header("m", [2, 4], 2, ["constant", "bicubic"],
                               [{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}])
    rng = np.random.default_rng(2)
    tables = {"mix": [imlut.selecting_table(3, header, "bicubic") + rng.normal(0, 0.05, (81, 16))]}
    header, tables = finetune.add_pre_stages(header, tables, ["S:3"], 4)
    tables["pre"] = [[rng.normal(0, 2, (81, 1))]]
    plane = rng.integers(0, 256, size=(9, 11)).astype(np.uint8)
    for bins, nodes, want_nodes in [(None, [3], 3), ([2, 3, 4], [2, 3, 3], [2, 3, 3]), ([2, 3, 4], None, 2)]:
        got_header, got_tables = finetune.reshape_model(header, tables, bins, nodes)
        assert got_header["phase_nodes"] == want_nodes and got_header["pre_stages"] == header["pre_stages"]
        assert got_tables["pre"] is tables["pre"] and got_tables["mix"][0].shape == (81, imlut.mix_outputs(got_header))
        for out_h, out_w in [(25, 30), (18, 22), (32, 40)]:
            assert np.allclose(imlut.run_model(plane, out_h, out_w, got_header, got_tables, return_float=True),
                               imlut.run_model(plane, out_h, out_w, header, tables, return_float=True), atol=1e-9)
    with pytest.raises(ValueError, match="2 node counts for 3 scale bins"):
        finetune.reshape_model(header, tables, [2, 3, 4], [2, 3])


def _model_file(path: Path, metadata: dict) -> tuple[dict, dict]:
    """A small imlut model with a pre-stage and 2 x 2 / 3 x 3 bins, written to `path` in float32 (exact)."""
    header = imlut.make_header("m", [2, 4], [2, 3], ["constant", "bicubic"],
                               [{"pattern": "S", "rotations": 4, "levels": [0, 128, 256]}])
    rng = np.random.default_rng(4)
    header, tables = finetune.add_pre_stages(header, {"mix": [rng.normal(0, 0.1, (81, 26))]}, ["S:3"], 4)
    tables["pre"] = [[rng.normal(0, 2, (81, 1))]]
    lutfile.write(path, dict(header, metadata=metadata), tables, "float32")
    return header, tables


def test_a_model_file_starts_as_its_tables_with_how_it_was_made(tmp_path):
    made = {"source": "fitted", "training_data": "photos", "licence": "CC0-1.0", "fit": {"iters": 150},
            "finetune": {"steps": 5000, "max_train_scale": 5.0, "long_sides": [1024, 2048], "flip": True},
            "set5_y_psnr": {"2": 36.0}}
    header, tables = _model_file(tmp_path / "m.lut", made)
    record, got = finetune.load_start(str(tmp_path / "m.lut"))
    assert record["header"] == header
    assert np.array_equal(got["mix"][0].astype(np.float32), tables["mix"][0].astype(np.float32))
    assert np.array_equal(got["pre"][0][0].astype(np.float32), tables["pre"][0][0].astype(np.float32))
    assert record["start_model"] == {"file": "m.lut", "source": "fitted", "training_data": "photos",
                                     "licence": "CC0-1.0", "fit": {"iters": 150}}
    assert record["finetune"] == made["finetune"] and record["earlier_finetunes"] == []
    assert record["max_train_scale"] == 5.0 and "hr_long_side" not in record
    _model_file(tmp_path / "bare.lut", {})
    record, _ = finetune.load_start(str(tmp_path / "bare.lut"))
    assert "finetune" not in record and "max_train_scale" not in record
    (tmp_path / "bad.lut").write_bytes(b"LUTSCALE" + bytes(20))
    with pytest.raises(ValueError, match="bad.lut"):
        finetune.load_start(str(tmp_path / "bad.lut"))


def test_export_records_the_start_file_and_every_fine_tuning_in_order(tmp_path):
    export = step("8_export_imlut")
    made = {"source": "fitted", "training_data": "photos", "licence": "CC0-1.0", "fit": {"iters": 150},
            "finetune": {"steps": 5000, "max_train_scale": 5.0, "long_sides": [1024], "flip": False}}
    _model_file(tmp_path / "m.lut", made)
    record, _ = finetune.load_start(str(tmp_path / "m.lut"))
    again = {"steps": 1200, "long_sides": [1024, 1448], "flip": True}
    # step 7's record after the run: this fine-tuning, the file's before it
    record = dict(record, finetune=again, earlier_finetunes=[made["finetune"]])
    got = export.provenance(record, record["header"])
    assert got["source"] == "fitted; fine-tuned again from m.lut (7_finetune_imlut.py)"
    assert got["training_data"] == ("photos; fine-tuned again on crops of the same photos shrunk to 1024 / 1448 px "
                                    "long sides, half of them mirrored")
    assert (got["licence"], got["fit"]) == ("CC0-1.0", {"iters": 150})
    assert got["finetune"] == again and got["earlier_finetunes"] == [made["finetune"]]
    fit = {"header": record["header"], "hr_long_side": 1024, "crops": 10, "anchors": 99, "max_train_scale": 5,
           "aniso": 0.25, "iters": 150}
    assert "fine-tuned" not in export.provenance(fit, fit["header"])["source"]
    tuned = export.provenance(dict(fit, finetune=again), fit["header"])
    assert tuned["source"].endswith("(7_finetune_imlut.py) with a pre-stage S:3; every table lookup on the LR grid")
    assert tuned["fit"] == {"iters": 150} and "earlier_finetunes" not in tuned


def test_export_refuses_types_that_do_not_match_the_mix_luts(tmp_path):
    export = step("8_export_imlut")
    header, tables = _model_file(tmp_path / "m.lut", {})
    step6 = step("6_fit_imlut")
    step6.save_fit("m", {"header": header}, tables, tmp_path)
    with pytest.raises(SystemExit, match="2 types for 1 mix luts"):
        export.export("m", "out", 0.01, fits_dir=tmp_path, out_dir=tmp_path, mix_types=["int16", "int8"])
