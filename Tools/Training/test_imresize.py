"""imresize must reproduce the MATLAB-made Set5 LR images: x4 exactly, x2/x3 within +-2 (reads only ../shared).

Set5's LR files are imresize(HR, 1/s) of the HR image as stored: at x3 their sizes are ceil(HR/3), so the HR is not
modcropped first (modcropping changes nothing at x2 and x4, whose HR sizes are multiples already).
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SET5, SET5_NAMES, load_rgb  # noqa: E402
from imresize import contributions, imresize  # noqa: E402


def _compare(scale: int, round_each_pass: bool = False) -> tuple[int, int, int]:
    worst, differing, total = 0, 0, 0
    for name in SET5_NAMES:
        hr = load_rgb(SET5 / "HR" / f"{name}.png")
        lr = load_rgb(SET5 / "LR_bicubic" / f"X{scale}" / f"{name}.png")
        ours = imresize(hr, 1.0 / scale, round_each_pass=round_each_pass)
        assert ours.shape == lr.shape, (name, ours.shape, lr.shape)
        d = np.abs(ours.astype(np.int16) - lr.astype(np.int16))
        worst, differing, total = max(worst, int(d.max())), differing + int((d > 0).sum()), total + d.size
    return worst, differing, total


def test_x4_exact():
    worst, differing, total = _compare(4)
    assert differing == 0, f"x4: {differing}/{total} values differ, max {worst}"


def test_x2_x3_close():
    for scale in (2, 3):
        worst, _, _ = _compare(scale)
        assert worst <= 2, f"x{scale}: max difference {worst}"


def test_x2_x3_exact_when_rounding_each_pass():
    for scale in (2, 3):
        worst, differing, total = _compare(scale, round_each_pass=True)
        assert differing == 0, f"x{scale}: {differing}/{total} values differ, max {worst}"


def test_weights_and_mirror():
    # weights sum to 1 and indices stay in range for shrinking, enlarging and non-integer scales
    for n_in, n_out in ((10, 3), (7, 21), (13, 17), (5, 2)):
        idx, w = contributions(n_in, n_out, n_out / n_in)
        assert np.allclose(w.sum(axis=1), 1.0)
        assert idx.min() >= 0 and idx.max() < n_in


def test_separate_axis_scales():
    img = (np.arange(48 * 30) % 251).astype(np.uint8).reshape(48, 30)
    assert imresize(img, (0.5, 1.5)).shape == (24, 45)
    assert imresize(img, out_shape=(17, 11)).shape == (17, 11)


if __name__ == "__main__":
    for s in (2, 3, 4):
        for each in (False, True):
            worst, differing, total = _compare(s, each)
            print(f"x{s} round_each_pass={each}: {differing}/{total} values differ "
                  f"({100.0 * differing / total:.3f}%), max |diff| {worst}")
    test_weights_and_mirror()
    test_separate_axis_scales()
    print("imresize checks passed")
