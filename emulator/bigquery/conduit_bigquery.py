"""Starts bqemulator (the BigQuery emulator Conduit tests against) with Conduit's adapter applied.

Each patch below covers one gap between bqemulator 1.4.0 and BigQuery that Conduit's loads meet; all
are listed in docs/bigquery-emulator.md with what BigQuery does instead.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

from bqemulator import cli
from bqemulator.api.routes import tables
from bqemulator.jobs import executor
from bqemulator.storage import engine, type_map

_log = logging.getLogger("conduit.bigquery")


def _load_spatial_if_present(self: engine.DuckDBEngine) -> None:
    """bqemulator refuses to start unless it can download DuckDB's spatial extension (offline here).

    Conduit uses no GEOGRAPHY: the extension is loaded when installed, else ST_* functions fail.
    """
    try:
        self._connection.execute("LOAD spatial")
    except Exception as error:  # noqa: BLE001 - GEOGRAPHY is optional for Conduit
        _log.warning("spatial extension not available, GEOGRAPHY disabled: %s", error)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


_original_load_path_into_target = executor._load_path_into_target


def _load_path_into_target(path: str, job: Any, ctx: Any) -> None:
    """bqemulator's CSV load ignores every CSV option and always skips a header line.

    BigQuery reads gzip whatever the file is called, skips `skipLeadingRows` lines (0 by default),
    honours `fieldDelimiter`, `quote` and `allowQuotedNewlines`, and loads an unquoted empty field as
    NULL but a quoted one ("") as the empty string in STRING columns; this loads CSV that way.
    """
    if job.source_format != "CSV":
        _original_load_path_into_target(path, job, ctx)
        return
    config = job.raw_config
    quote = _literal(config.get("quote", '"'))
    options = [
        "FORMAT CSV",
        "HEADER false",
        f"SKIP {int(config.get('skipLeadingRows', 0))}",
        f"DELIMITER {_literal(config.get('fieldDelimiter', ','))}",
        f"QUOTE {quote}",
        f"ESCAPE {quote}",
        f"NULL {_literal(config.get('nullMarker', ''))}",
        "ALLOW_QUOTED_NULLS false",
        "STRICT_MODE true",
        f"MAX_LINE_SIZE {1 << 30}",
        f"BUFFER_SIZE {1 << 30}",
        f"COMPRESSION {'gzip' if _is_gzip(path) else 'none'}",
    ]
    ctx.engine.execute(f"COPY {job.target_ref} FROM ? ({', '.join(options)})", [path])


_original_schema_to_columns = type_map.bq_schema_to_duckdb_columns


def _schema_to_columns(fields: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Tables made through the API ignore a decimal's precision and scale, and make BIGNUMERIC a
    DECIMAL(76, 38), which DuckDB refuses (38 digits at most): a parameterized NUMERIC or BIGNUMERIC
    becomes DECIMAL(P, S) when P <= 38. Wider BIGNUMERIC values cannot be held (docs/bigquery-emulator.md).
    """
    columns = _original_schema_to_columns(fields)
    adjusted = []
    for field, (name, duckdb_type) in zip(fields, columns, strict=True):
        kind = str(field.get("type", "")).upper()
        if kind in ("NUMERIC", "BIGNUMERIC", "DECIMAL", "BIGDECIMAL"):
            precision = int(field.get("precision") or 0)
            scale = int(field.get("scale") or 0)
            if 0 < precision <= 38:
                duckdb_type = f"DECIMAL({precision}, {scale})"
            elif kind in ("BIGNUMERIC", "BIGDECIMAL"):
                duckdb_type = "DECIMAL(38, 9)"
        adjusted.append((name, duckdb_type))
    return adjusted


_original_parse_fields = tables._parse_schema_fields
_original_field_to_rest = tables._field_to_rest


def _parse_schema_fields(raw_fields: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The tables API drops a field's precision and scale (NUMERIC(10, 2) reads back as NUMERIC): kept."""
    parsed = _original_parse_fields(raw_fields)
    return tuple(
        field.model_copy(
            update={
                "precision": int(raw["precision"]) if raw.get("precision") is not None else None,
                "scale": int(raw["scale"]) if raw.get("scale") is not None else None,
            }
        )
        for field, raw in zip(parsed, raw_fields, strict=True)
    )


def _field_to_rest(field: Any) -> dict[str, Any]:
    rest = _original_field_to_rest(field)
    if field.precision is not None:
        rest["precision"] = str(field.precision)
        rest["scale"] = str(field.scale or 0)
    return rest


engine.DuckDBEngine._load_spatial = _load_spatial_if_present
tables._parse_schema_fields = _parse_schema_fields
tables._field_to_rest = _field_to_rest
type_map.bq_schema_to_duckdb_columns = _schema_to_columns
tables.bq_schema_to_duckdb_columns = _schema_to_columns
executor._load_path_into_target = _load_path_into_target


def _exit_on_stdin_eof() -> None:
    """Ends the emulator when the process that started it goes away (its stdin pipe closes)."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    if "--exit-on-stdin-eof" in sys.argv:
        sys.argv.remove("--exit-on-stdin-eof")
        _exit_on_stdin_eof()
    cli.main()
