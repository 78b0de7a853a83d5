"""Tools/HeldOutEval.py's pure helpers: the held-out table of DATA.md, the shrink and crop rules, and its MATLAB
bicubic baseline against the published Set5 figure (no download; the last test reads ../shared, skipped without it).
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import HeldOutEval as heldout  # noqa: E402
from common import SET5, load_rgb, psnr_y, rgb_to_y  # noqa: E402

TRAINING_ROW = re.compile(r"^\| [0-9]{2} \|")   # what 1_fetch_data.sh reads


def test_data_md_held_out_table_is_disjoint_from_training():
    text = (HERE / "DATA.md").read_text()
    rows = heldout.held_out_rows(text)
    assert [r["id"] for r in rows] == [f"H{i:02d}" for i in range(1, len(rows) + 1)]
    assert 15 <= len(rows) <= 30
    for r in rows:
        assert re.fullmatch(r"[0-9a-f]{16}", r["sha"]), r
        assert re.fullmatch(r"\d+x\d+", r["size"]), r
        assert not r["path"].startswith("/") and "`" not in r["path"], r
    training = [line for line in text.splitlines() if TRAINING_ROW.match(line)]
    assert len(training) == 50
    training_packages = {line.split("|")[2].strip() for line in training}
    assert not training_packages & {r["package"] for r in rows}
    training_shas = {line.split("|")[7].strip(" `") for line in training}
    assert not training_shas & {r["sha"] for r in rows}
    assert len({r["sha"] for r in rows}) == len(rows)


def test_held_out_rows_parses_cells_and_rejects_a_short_row():
    text = ("| 01 | pkg | `a.jpg` | 10x10 | GPL-2+ | me | `0123456789abcdef` |\n"
            "| H01 | some-pkg | `usr/share/x/a b.jpg` | 960x638 | CC-BY-3.0 | A. Person | `fedcba9876543210` |\n")
    assert heldout.held_out_rows(text) == [{"id": "H01", "package": "some-pkg", "path": "usr/share/x/a b.jpg",
                                            "size": "960x638", "licence": "CC-BY-3.0", "author": "A. Person",
                                            "sha": "fedcba9876543210"}]
    with pytest.raises(ValueError):
        heldout.held_out_rows("| H02 | pkg | `a.jpg` | 10x10 |\n")


def test_shrunk_shape_keeps_small_photos_and_the_aspect():
    assert heldout.shrunk_shape(1993, 3000) == (680, 1024)
    assert heldout.shrunk_shape(960, 638) == (960, 638)          # below the long side: unchanged
    assert heldout.shrunk_shape(1024, 700) == (1024, 700)
    assert heldout.shrunk_shape(3000, 1993, 512) == (512, 340)


@pytest.mark.parametrize("scale,expected", [(2, (680, 1024, 340, 512)), (3, (678, 1023, 226, 341)),
                                            (2.5, (680, 1020, 272, 408)), (3.5, (679, 1022, 194, 292)),
                                            (4, (680, 1024, 170, 256))])
def test_lr_shape_crops_hr_to_a_multiple_of_p(scale, expected):
    hc, wc, lh, lw = heldout.lr_shape(680, 1024, scale)
    assert (hc, wc, lh, lw) == expected
    assert (lh * scale, lw * scale) == (hc, wc)                  # the CLI's round(LR x s) is the cropped HR


@pytest.mark.skipif(not (SET5 / "HR" / "baby.png").exists(), reason="../shared not present")
def test_matlab_bicubic_baseline_gives_the_published_set5_figure():
    """The baseline the gains are measured against: 33.66 dB on Set5 x2 (shared/README.md)."""
    values = []
    for name in heldout.SET5_NAMES:
        hr = load_rgb(SET5 / "HR" / f"{name}.png")
        lr = load_rgb(SET5 / "LR_bicubic" / "X2" / f"{name}.png")
        values.append(psnr_y(heldout.matlab_bicubic_y(lr, *hr.shape[:2]), rgb_to_y(hr), 2))
    assert abs(float(np.mean(values)) - 33.66) <= 0.01
