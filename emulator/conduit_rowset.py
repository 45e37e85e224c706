"""Snowflake's JSON result encoding, produced from the Arrow IPC stream fakesnow returns.

The Node snowflake-sdk reads only JSON result sets (`rowset`): every value is a string (or null)
whose layout depends on the column's Snowflake type (the `rowtype` entry). What the SDK does with
each string is in snowflake-sdk's lib/connection/result/column.js:

  fixed          plain decimal text with the column's scale ("12", "-0.500000000"); the SDK calls
                 Number() on it, or big-integer / keeps the text when asked for BigInt / strings
  real           decimal text; NaN and infinities spelled as Snowflake does: "NaN", "inf", "-inf"
  boolean        "1" / "0"
  date           days since 1970-01-01 ("-719162" is 0001-01-01)
  time           seconds since midnight with 9 fraction digits ("45296.123456789")
  timestamp_ntz  seconds since the epoch with 9 fraction digits, signed ("-1.500000000")
  timestamp_ltz  same as NTZ
  timestamp_tz   "<seconds.fraction9> <offset minutes + 1440>" ("1700000000.000000000 1560")
  binary         uppercase hex
  variant/object/array  JSON text
  text           the string itself
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa

NANOS_PER_SECOND = 1_000_000_000
NANOS_PER_UNIT = {"s": NANOS_PER_SECOND, "ms": 1_000_000, "us": 1_000, "ns": 1}

Cell = str | None


def decode_arrow_rowset(rowset_base64: str, rowtype: list[dict[str, Any]]) -> list[list[Cell]]:
    """Rows of Snowflake JSON cells from a base64 Arrow IPC stream (fakesnow's `rowsetBase64`)."""
    if not rowset_base64:
        return []
    table = pa.ipc.open_stream(base64.b64decode(rowset_base64)).read_all()
    if table.num_columns != len(rowtype):
        raise ValueError(f"arrow result has {table.num_columns} columns but rowtype has {len(rowtype)}")
    columns = [encode_column(table.column(i), rowtype[i]) for i in range(table.num_columns)]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def encode_column(column: pa.ChunkedArray | pa.Array, column_type: dict[str, Any]) -> list[Cell]:
    sf_type = str(column_type.get("type", "text")).lower()
    arrow_type = column.type
    if sf_type.startswith("timestamp"):
        return _encode_timestamps(column, with_zone=sf_type == "timestamp_tz")
    if sf_type == "time":
        return _encode_times(column)
    if sf_type == "date":
        return _encode_dates(column)

    values = column.to_pylist()
    if sf_type == "fixed":
        scale = int(column_type.get("scale") or 0)
        return [None if v is None else _fixed(v, scale) for v in values]
    if sf_type == "real":
        return [None if v is None else _real(v) for v in values]
    if sf_type == "boolean":
        return [None if v is None else ("1" if v else "0") for v in values]
    if sf_type == "binary":
        return [None if v is None else bytes(v).hex().upper() for v in values]
    if sf_type in ("variant", "object", "array"):
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            return values
        return [None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in values]
    return [None if v is None else _text(v) for v in values]


def _fixed(value: object, scale: int) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value) if scale == 0 else format(Decimal(value).quantize(Decimal(1).scaleb(-scale)), "f")
    if isinstance(value, Decimal):
        if value.as_tuple().exponent != -scale:
            value = value.quantize(Decimal(1).scaleb(-scale))
        return format(value, "f")
    if isinstance(value, float):
        # DuckDB hands some integer results over as doubles (e.g. a SUM of HUGEINT)
        if not math.isfinite(value):
            return _real(value)
        if scale == 0 and value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).quantize(Decimal(1).scaleb(-scale)), "f")
    return str(value)


def _real(value: object) -> str:
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _seconds_fraction(total_nanos: int) -> str:
    """Signed decimal seconds with exactly 9 fraction digits."""
    sign = "-" if total_nanos < 0 else ""
    seconds, nanos = divmod(abs(total_nanos), NANOS_PER_SECOND)
    return f"{sign}{seconds}.{nanos:09d}"


def _encode_dates(column: pa.ChunkedArray | pa.Array) -> list[Cell]:
    if pa.types.is_date32(column.type):
        days = column.cast(pa.int32()).to_pylist()
    elif pa.types.is_date64(column.type):
        days = [None if ms is None else ms // 86_400_000 for ms in column.cast(pa.int64()).to_pylist()]
    else:
        raise ValueError(f"cannot encode arrow {column.type} as a Snowflake DATE")
    return [None if d is None else str(d) for d in days]


def _encode_times(column: pa.ChunkedArray | pa.Array) -> list[Cell]:
    arrow_type = column.type
    if pa.types.is_time(arrow_type):
        per_unit = NANOS_PER_UNIT[arrow_type.unit]
        raw = column.cast(pa.int64() if pa.types.is_time64(arrow_type) else pa.int32()).to_pylist()
    elif pa.types.is_integer(arrow_type):
        # fakesnow sends TIME as int64 nanoseconds since midnight
        per_unit = 1
        raw = column.to_pylist()
    else:
        raise ValueError(f"cannot encode arrow {arrow_type} as a Snowflake TIME")
    return [None if v is None else _seconds_fraction(v * per_unit) for v in raw]


def _encode_timestamps(column: pa.ChunkedArray | pa.Array, with_zone: bool) -> list[Cell]:
    arrow_type = column.type
    if pa.types.is_struct(arrow_type):
        # Snowflake's Arrow layout (what fakesnow sends): epoch seconds, nanosecond fraction and,
        # for TIMESTAMP_TZ, the offset in minutes + 1440.
        out: list[Cell] = []
        for item in column.to_pylist():
            if item is None or item.get("epoch") is None:
                out.append(None)
                continue
            text = _seconds_fraction(int(item["epoch"]) * NANOS_PER_SECOND + int(item.get("fraction") or 0))
            if with_zone:
                text += f" {int(item['timezone']) if item.get('timezone') is not None else 1440}"
            out.append(text)
        return out
    if pa.types.is_timestamp(arrow_type):
        per_unit = NANOS_PER_UNIT[arrow_type.unit]
        raw = column.cast(pa.int64()).to_pylist()
        suffix = " 1440" if with_zone else ""
        return [None if v is None else _seconds_fraction(v * per_unit) + suffix for v in raw]
    raise ValueError(f"cannot encode arrow {arrow_type} as a Snowflake timestamp")
