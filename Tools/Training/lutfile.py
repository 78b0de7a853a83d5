"""Writer and reader of LUT format v1 (docs/lut-format.md).

Layout: b"LUTSCALE", u32 version 1, u32 H, H bytes of UTF-8 JSON, zero padding to a multiple of 64 (payload start P),
tables at P + offset (offsets multiples of 64), u32 CRC-32 (zlib.crc32) of every byte before it. Little-endian.
Kinds: "srlut" (tables listed stage by stage) and "imlut" (docs/imlut.md: the pre-stages' luts, then the mix luts).
"""
from __future__ import annotations

import json
import math
import struct
import zlib
from pathlib import Path

import numpy as np

import imlut

MAGIC = b"LUTSCALE"
VERSION = 1
ALIGN = 64
DTYPES = {"int8": np.dtype("<i1"), "int16": np.dtype("<i2"), "float32": np.dtype("<f4")}


class LutFileError(Exception):
    pass


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def quantize(table: np.ndarray, type_name: str, run: int = 0, alone: tuple[int, ...] = (),
             power_of_two: bool = False) -> tuple[np.ndarray, float, list[float] | None]:
    """Stored array, scale and output scales (real = stored x scale x output_scales[output]; None: all 1).
    Integer types use the full symmetric range: of the whole table (`run` 0), or of each run of `run` consecutive
    outputs, which then also get their own step (imlut tables: a scale bin's weights span far less than the table's
    peak; x1.5 lost 0.27 dB with one step per table). With `run` > 1 each run is rounded so that its stored sum is
    the rounded real sum: an imlut pixel is a weighted sum of K interpolators that nearly agree, so the error of
    the weights' sum (a brightness error) is what rounding must keep small.

    `alone`: positions within each run whose column gets a step of its own and stays out of the run's sum (imlut:
    the constant candidate, whose weight is in 8-bit levels, spans +-30 where the others span +-1.2, and adds to
    the pixel directly rather than sharing the brightness of the other candidates).

    `power_of_two` (whole-table steps only): the step is the power of two at or above peak / max, so that the
    engine's fixed point holds the values exactly (imlut pre-stages, whose rounded output the mix reads)."""
    if type_name == "float32":
        return table.astype(np.float32), 1.0, None
    info = np.iinfo(DTYPES[type_name])
    if not run:
        peak = float(np.abs(table).max()) if table.size else 0.0
        scale = peak / info.max if peak > 0 else 1.0
        if power_of_two:
            scale = 2.0 ** math.ceil(math.log2(scale))
        return np.clip(np.round(table / scale), -info.max, info.max).astype(DTYPES[type_name]), scale, None
    runs = table.reshape(table.shape[0], -1, run)
    shared = [p for p in range(run) if p not in alone]
    col_peaks = np.abs(runs).max(axis=0) if table.size else np.zeros(runs.shape[1:])     # (runs, run)
    peaks = col_peaks.copy()
    if shared:
        peaks[:, shared] = col_peaks[:, shared].max(axis=1, keepdims=True)
    peak = float(peaks.max())
    scale = peak / info.max if peak > 0 else 1.0
    factors = np.array([[float(f"{f:.6g}") if f > 0 else 1.0 for f in row] for row in peaks / (peak or 1.0)])
    x = runs / (scale * factors[None])
    if len(shared) > 1:
        xs = x[:, :, shared]
        down = np.floor(xs)
        ups = np.round(xs.sum(2, keepdims=True)) - down.sum(2, keepdims=True)      # in 0 ... len(shared)
        rank = np.argsort(np.argsort(down - xs, axis=2), axis=2)                    # 0 = largest fraction
        x[:, :, shared] = down + (rank < ups)
    stored = np.clip(np.round(x), -info.max, info.max).astype(DTYPES[type_name]).reshape(table.shape)
    return stored, scale, factors.reshape(-1).tolist()


def _lut_groups(header: dict) -> list[tuple[list[dict], int]]:
    """The header's lut lists in payload order, each with its table's `outputs`, by kind."""
    kind = header.get("kind")
    if kind == "srlut":
        return [(stage["luts"], stage["upscale"] ** 2) for stage in header["stages"]]
    if kind == "imlut":
        if header.get("refine") is not None or "ensemble" in header:
            raise LutFileError('imlut "refine" / "ensemble" belong to the previous (output-grid) design: '
                               'not readable any more')
        mix = imlut.mix_outputs(header)
        return [(stage["luts"], 1) for stage in header.get("pre_stages", [])] + [(header["mix"]["luts"], mix)]
    raise LutFileError(f"unknown model kind {kind!r}")


def _tables_list(header: dict, tables) -> list[list[np.ndarray]]:
    """srlut: tables[stage][lut]; imlut: {"pre": [[...], ...], "mix": [...]} ("pre" absent without pre-stages)."""
    if header.get("kind") == "imlut":
        return [*tables.get("pre", []), tables["mix"]]
    return tables


def _runs(header: dict, groups: int) -> list[tuple[int, tuple[int, ...], bool]]:
    """(run, alone, power_of_two) of each table group for quantize: imlut mix outputs get a step per run of K
    interpolator weights (one scale bin and phase node; docs/imlut.md), rounded together except the constant's,
    which gets its own step per run; imlut pre-stage tables one power-of-two step each; srlut tables one step each."""
    if header.get("kind") == "imlut":
        names = header["interpolators"]
        return [(0, (), True)] * (groups - 1) + [(len(names), (names.index("constant"),) if "constant" in names else (), False)]
    return [(0, (), False)] * groups


def write(path: Path | str, header: dict, tables, type_name: str | dict = "int8") -> dict:
    """Write a model. `header` is the JSON header without the per-lut "table" objects, which are filled in here
    from the float tables of shape (L^4, outputs): tables[stage][lut] for kind "srlut", {"pre": [[...], ...],
    "mix": [...]} for kind "imlut". `type_name`: one element type for all tables, or for imlut {"pre": type,
    "mix": type, or a list of one type per mix lut}. Returns the header as written."""
    header = json.loads(json.dumps(header))          # deep copy, and proves it is JSON
    payload = bytearray()
    groups = _lut_groups(header)
    types = [[type_name] * len(luts) for luts, _ in groups]
    if isinstance(type_name, dict):
        mix = type_name["mix"]
        pre = type_name.get("pre", mix if isinstance(mix, str) else "int16")
        types = [[pre] * len(luts) for luts, _ in groups[:-1]] + [mix if isinstance(mix, list) else [mix] * len(groups[-1][0])]
    for (luts, outputs), group, (run, alone, power_of_two), group_types in zip(
            groups, _tables_list(header, tables), _runs(header, len(groups)), types, strict=True):
        for lut, table, type_name in zip(luts, group, group_types, strict=True):
            n = len(lut["levels"])
            if table.shape != (n ** 4, outputs):
                raise LutFileError(f"table shape {table.shape}, expected {(n ** 4, outputs)}")
            stored, scale, factors = quantize(table, type_name, run, alone, power_of_two)
            payload.extend(b"\0" * (_align(len(payload)) - len(payload)))
            lut["table"] = {"offset": len(payload), "entries": n ** 4, "outputs": outputs,
                            "type": type_name, "scale": scale} | ({"output_scales": factors} if factors else {})
            payload.extend(stored.astype(DTYPES[type_name]).tobytes())
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head = MAGIC + struct.pack("<II", VERSION, len(text)) + text
    body = head + b"\0" * (_align(len(head)) - len(head)) + bytes(payload)
    Path(path).write_bytes(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))
    return header


def read(path: Path | str) -> tuple[dict, list[list[np.ndarray]]]:
    """Read and validate a model; returns the header and its float64 tables (real values): tables[stage][lut]
    for kind "srlut", {"mix": [...]} and, with pre-stages, "pre": [[...], ...] for kind "imlut"; any other kind
    is rejected, and so is an imlut of the previous design (with "refine" or "ensemble")."""
    data = Path(path).read_bytes()
    if len(data) < 20 or data[:8] != MAGIC:
        raise LutFileError("not a LUTSCALE file")
    version, hlen = struct.unpack_from("<II", data, 8)
    if version != VERSION:
        raise LutFileError(f"unsupported format version {version}")
    if 16 + hlen + 4 > len(data):
        raise LutFileError("header runs past the end of the file")
    (crc,) = struct.unpack_from("<I", data, len(data) - 4)
    if zlib.crc32(data[:-4]) & 0xFFFFFFFF != crc:
        raise LutFileError("CRC-32 mismatch")
    header = json.loads(data[16:16 + hlen].decode("utf-8"))
    base = _align(16 + hlen)
    end = len(data) - 4
    groups = []
    for luts, outputs in _lut_groups(header):
        group = []
        for lut in luts:
            t = lut["table"]
            n = len(lut["levels"])
            if t["offset"] % ALIGN or t["entries"] != n ** 4 or t["outputs"] != outputs:
                raise LutFileError(f"bad table descriptor {t}")
            dtype = DTYPES.get(t["type"])
            if dtype is None:
                raise LutFileError(f"unknown table type {t['type']!r}")
            start = base + t["offset"]
            stop = start + t["entries"] * t["outputs"] * dtype.itemsize
            if stop > end:
                raise LutFileError("table runs past the end of the payload")
            raw = np.frombuffer(data[start:stop], dtype=dtype).reshape(t["entries"], t["outputs"])
            factors = np.asarray(t.get("output_scales", np.ones(t["outputs"])), dtype=np.float64)
            if factors.shape != (t["outputs"],):
                raise LutFileError(f"output_scales: {factors.size} factors for {t['outputs']} outputs")
            group.append(raw.astype(np.float64) * float(t["scale"]) * factors)
        groups.append(group)
    if header["kind"] == "imlut":
        return header, {"mix": groups[-1]} | ({"pre": groups[:-1]} if len(groups) > 1 else {})
    return header, groups
