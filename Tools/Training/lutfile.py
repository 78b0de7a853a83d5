"""Writer and reader of LUT format v1 (docs/lut-format.md).

Layout: b"LUTSCALE", u32 version 1, u32 H, H bytes of UTF-8 JSON, zero padding to a multiple of 64 (payload start P),
tables at P + offset (offsets multiples of 64), u32 CRC-32 (zlib.crc32) of every byte before it. Little-endian.
Kinds: "srlut" (tables listed stage by stage) and "imlut" (docs/imlut.md: the mix luts, then the refine luts).
"""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np

MAGIC = b"LUTSCALE"
VERSION = 1
ALIGN = 64
DTYPES = {"int8": np.dtype("<i1"), "int16": np.dtype("<i2"), "float32": np.dtype("<f4")}


class LutFileError(Exception):
    pass


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def quantize(table: np.ndarray, type_name: str, run: int = 0) -> tuple[np.ndarray, float, list[float] | None]:
    """Stored array, scale and output scales (real = stored x scale x output_scales[output]; None: all 1).
    Integer types use the full symmetric range: of the whole table (`run` 0), or of each run of `run` consecutive
    outputs, which then also get their own step (imlut tables: a scale bin's weights span far less than the table's
    peak; x1.5 lost 0.27 dB with one step per table). With `run` > 1 each run is rounded so that its stored sum is
    the rounded real sum: an imlut pixel is a weighted sum of K interpolators that nearly agree, so the error of
    the weights' sum (a brightness error) is what rounding must keep small."""
    if type_name == "float32":
        return table.astype(np.float32), 1.0, None
    info = np.iinfo(DTYPES[type_name])
    runs = table.reshape(table.shape[0], -1, max(run, 1))
    peaks = np.abs(runs).max(axis=(0, 2)) if run else np.array([np.abs(table).max() if table.size else 0.0])
    peak = float(peaks.max())
    scale = peak / info.max if peak > 0 else 1.0
    factors = [float(f"{f:.6g}") if f > 0 else 1.0 for f in peaks / (peak or 1.0)] if run else None
    x = runs / (scale * np.asarray(factors or [1.0])[None, :, None])
    if run > 1:
        down = np.floor(x)
        ups = np.round(x.sum(2, keepdims=True)) - down.sum(2, keepdims=True)      # in 0 ... run
        rank = np.argsort(np.argsort(down - x, axis=2), axis=2)                     # 0 = largest fraction
        x = down + (rank < ups)
    stored = np.clip(np.round(x), -info.max, info.max).astype(DTYPES[type_name]).reshape(table.shape)
    return stored, scale, None if factors is None else np.repeat(factors, max(run, 1)).tolist()


def _lut_groups(header: dict) -> list[tuple[list[dict], int]]:
    """The header's lut lists in payload order, each with its table's `outputs`, by kind."""
    kind = header.get("kind")
    if kind == "srlut":
        return [(stage["luts"], stage["upscale"] ** 2) for stage in header["stages"]]
    if kind == "imlut":
        mix = len(header["scale_bins"]) * header["phase_nodes"] ** 2 * len(header["interpolators"])
        groups = [(header["mix"]["luts"], mix)]
        if header.get("refine"):
            groups.append((header["refine"]["luts"], len(header["scale_bins"])))
        return groups
    raise LutFileError(f"unknown model kind {kind!r}")


def _tables_list(header: dict, tables) -> list[list[np.ndarray]]:
    """srlut: tables[stage][lut]; imlut: {"mix": [...], "refine": [...]} (refine empty or absent without refine)."""
    if header.get("kind") == "imlut":
        return [tables["mix"]] + ([tables["refine"]] if header.get("refine") else [])
    return tables


def write(path: Path | str, header: dict, tables, type_name: str | dict = "int8") -> dict:
    """Write a model. `header` is the JSON header without the per-lut "table" objects, which are filled in here
    from the float tables of shape (L^4, outputs): tables[stage][lut] for kind "srlut", {"mix": [...],
    "refine": [...]} for kind "imlut". `type_name`: one element type for all tables, or for imlut a dict
    {"mix": ..., "refine": ...}. Returns the header as written."""
    header = json.loads(json.dumps(header))          # deep copy, and proves it is JSON
    payload = bytearray()
    groups = _lut_groups(header)
    types = [type_name[g] for g in ("mix", "refine")[:len(groups)]] if isinstance(type_name, dict) \
        else [type_name] * len(groups)
    # imlut outputs get their own steps; the mix's runs of K interpolator weights (docs/imlut.md) are rounded together
    runs = [len(header["interpolators"]), 1] if header.get("kind") == "imlut" else [0] * len(groups)
    for (luts, outputs), group, type_name, run in zip(groups, _tables_list(header, tables), types, runs[:len(groups)],
                                                       strict=True):
        for lut, table in zip(luts, group, strict=True):
            n = len(lut["levels"])
            if table.shape != (n ** 4, outputs):
                raise LutFileError(f"table shape {table.shape}, expected {(n ** 4, outputs)}")
            stored, scale, factors = quantize(table, type_name, run)
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
    for kind "srlut", {"mix": [...], "refine": [...]} for kind "imlut"; any other kind is rejected."""
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
        return header, {"mix": groups[0], "refine": groups[1] if len(groups) > 1 else []}
    return header, groups
