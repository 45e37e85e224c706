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
from bqemulator.jobs import executor
from bqemulator.storage import engine

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


engine.DuckDBEngine._load_spatial = _load_spatial_if_present
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
