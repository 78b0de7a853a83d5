"""The PyTorch forward (imlut_torch.py) against the NumPy reference (imlut.py), and its gradients."""
import sys
from pathlib import Path

import numpy as np
import pytest

import torch  # noqa: E402  (Tools/setup.sh installs it: the fine-tuning step needs it)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imlut  # noqa: E402
import imlut_torch  # noqa: E402
from test_imlut import _pre_header, _pre_tables, _random_tables  # noqa: E402


def _model(pre: int, nodes=2):
    """A random model with a pre-stage whose luts have `pre` rotations (none when 0), `nodes` phase nodes (one
    count or one per bin)."""
    header = dict(_pre_header(), phase_nodes=nodes)
    header["pre_stages"] = [dict(stage, luts=[dict(lut, rotations=pre or 4) for lut in stage["luts"]])
                            for stage in header["pre_stages"]]
    tables = _random_tables(header) | {"pre": _pre_tables(header)}
    if not pre:
        header = {k: v for k, v in header.items() if k != "pre_stages"}
        tables = {"mix": tables["mix"]}
    return header, tables


@pytest.mark.parametrize("pre,nodes", [(0, 2), (4, 2), (1, 2), (4, [2, 2, 3, 3])])
@pytest.mark.parametrize("bit_depth", [8, 10])
@pytest.mark.parametrize("shape,out_shape", [((9, 11), (27, 33)), ((8, 7), (19, 30)), ((6, 6), (6, 9)),
                                             ((6, 6), (15, 15))])
def test_torch_forward_is_the_reference(pre, nodes, bit_depth, shape, out_shape):
    header, tables = _model(pre, nodes)
    f = 2 ** (bit_depth - 8)
    rng = np.random.default_rng(11)
    planes = [rng.integers(0, 256 * f, size=shape) for _ in range(2)]
    model = imlut_torch.Model(header, tables, dtype=torch.float64)
    got = model(torch.tensor(np.stack(planes) / f), *out_shape, bit_depth=bit_depth).detach().numpy()
    for p, m in zip(planes, got, strict=True):
        want = imlut.mixed(p / f, *out_shape, header, tables, bit_depth)
        assert np.allclose(m, want, rtol=0, atol=1e-9)


def test_gradients_reach_the_pre_stage_and_every_mix_table():
    header, tables = _model(4)
    model = imlut_torch.Model(header, tables, dtype=torch.float64)
    planes = torch.tensor(np.random.default_rng(2).integers(0, 256, size=(2, 9, 9)), dtype=torch.float64)
    model(planes, 20, 20).square().mean().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in [*model.pre, *model.mix])


def test_tables_come_back_as_given():
    header, tables = _model(4)
    back = imlut_torch.Model(header, tables, dtype=torch.float64).tables()
    assert all(np.array_equal(a, b) for a, b in zip(back["mix"], tables["mix"], strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(back["pre"][0], tables["pre"][0], strict=True))
