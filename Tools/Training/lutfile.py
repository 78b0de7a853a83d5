"""Writer and reader of LUT format v1 (/work/notes/lut-format.md).

Layout: b"LUTSCALE", u32 version 1, u32 H, H bytes of UTF-8 JSON, zero padding to a multiple of 64 (payload start P),
tables at P + offset (offsets multiples of 64), u32 CRC-32 (zlib.crc32) of every byte before it. Little-endian.
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


def quantize(table: np.ndarray, type_name: str) -> tuple[np.ndarray, float]:
    """Stored array and scale (real = stored x scale). Integer types use the full symmetric range."""
    if type_name == "float32":
        return table.astype(np.float32), 1.0
    info = np.iinfo(DTYPES[type_name])
    peak = float(np.max(np.abs(table))) if table.size else 0.0
    scale = peak / info.max if peak > 0 else 1.0
    stored = np.clip(np.round(table / scale), -info.max, info.max).astype(DTYPES[type_name])
    return stored, scale


def write(path: Path | str, header: dict, tables: list[list[np.ndarray]], type_name: str = "int8") -> dict:
    """Write a model. `header` is the JSON header without the per-lut "table" objects, which are filled in here
    from `tables[stage][lut]` (float arrays of shape (L^4, upscale^2)). Returns the header as written."""
    header = json.loads(json.dumps(header))          # deep copy, and proves it is JSON
    payload = bytearray()
    for stage, stage_tables in zip(header["stages"], tables, strict=True):
        for lut, table in zip(stage["luts"], stage_tables, strict=True):
            n = len(lut["levels"])
            outputs = stage["upscale"] ** 2
            if table.shape != (n ** 4, outputs):
                raise LutFileError(f"table shape {table.shape}, expected {(n ** 4, outputs)}")
            stored, scale = quantize(table, type_name)
            payload.extend(b"\0" * (_align(len(payload)) - len(payload)))
            lut["table"] = {"offset": len(payload), "entries": n ** 4, "outputs": outputs,
                            "type": type_name, "scale": scale}
            payload.extend(stored.astype(DTYPES[type_name]).tobytes())
    text = json.dumps(header, indent=1).encode("utf-8")
    head = MAGIC + struct.pack("<II", VERSION, len(text)) + text
    body = head + b"\0" * (_align(len(head)) - len(head)) + bytes(payload)
    Path(path).write_bytes(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))
    return header


def read(path: Path | str) -> tuple[dict, list[list[np.ndarray]]]:
    """Read and validate a model; returns the header and tables[stage][lut] as float64 arrays (real values)."""
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
    tables = []
    for stage in header["stages"]:
        stage_tables = []
        for lut in stage["luts"]:
            t = lut["table"]
            n = len(lut["levels"])
            if t["offset"] % ALIGN or t["entries"] != n ** 4 or t["outputs"] != stage["upscale"] ** 2:
                raise LutFileError(f"bad table descriptor {t}")
            dtype = DTYPES.get(t["type"])
            if dtype is None:
                raise LutFileError(f"unknown table type {t['type']!r}")
            start = base + t["offset"]
            stop = start + t["entries"] * t["outputs"] * dtype.itemsize
            if stop > end:
                raise LutFileError("table runs past the end of the payload")
            raw = np.frombuffer(data[start:stop], dtype=dtype).reshape(t["entries"], t["outputs"])
            stage_tables.append(raw.astype(np.float64) * float(t["scale"]))
        tables.append(stage_tables)
    return header, tables
