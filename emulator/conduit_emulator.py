"""Conduit's Snowflake emulator: fakesnow's server behind an adapter the Node snowflake-sdk works with.

Run from the provisioned venv (scripts/provision-emulator.sh):

    .conduit/venv/bin/python emulator/conduit_emulator.py --host 127.0.0.1 --port 8123 \
        [--data-dir DIR] [--database CONDUIT --schema PUBLIC] [--user conduit --password conduit]

Prints one line, `conduit-emulator listening on http://HOST:PORT`, on stdout once it accepts
connections; logs go to stderr. Stage files live under DIR/stages (a temporary directory when
--data-dir is absent, removed on exit). Databases are in memory. With --exit-on-stdin-eof the
process also stops when its parent closes stdin, so it never outlives a crashed test run.

Test and development harness only: the product speaks plain Snowflake SQL (docs/snowflake-emulator.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn  # imported in main(), after logging is set up


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", help="where stage files are kept (kept on exit)")
    parser.add_argument("--database", action="append", default=[], help="database to create at start (repeatable)")
    parser.add_argument("--schema", action="append", default=[], help="schema to create in every --database")
    parser.add_argument(
        "--user", help="a user whose password logins must give (with --password); any login is accepted without one"
    )
    parser.add_argument("--password", help="the --user's password")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    owns_data_dir = args.data_dir is None
    data_dir = os.path.realpath(args.data_dir or tempfile.mkdtemp(prefix="conduit-emulator-"))
    os.makedirs(data_dir, exist_ok=True)
    # fakesnow makes its stage bucket with tempfile.mkdtemp at import: keep even that inside data_dir
    tempfile.tempdir = data_dir

    # DuckDB warns that fetching Arrow from a DB-API cursor copies; that is fakesnow's choice
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    import uvicorn

    import conduit_patches
    import conduit_stage_names

    conduit_patches.apply_all(os.path.join(data_dir, "stages"))
    conduit_stage_names.apply_all()

    import fakesnow.server

    from conduit_adapter import SnowflakeAdapter
    from conduit_users import Users

    fakesnow.server.logger.setLevel(args.log_level.upper())
    fakesnow.server.logger.propagate = False  # it already logs through uvicorn's handlers
    create_defaults(args.database, args.schema)
    # A Snowflake login never creates the database or schema it names; fakesnow's would, which
    # hides a missing schema (and the privilege creating it needs) from every test.
    fakesnow.server.shared_fs.create_database_on_connect = False
    fakesnow.server.shared_fs.create_schema_on_connect = False

    users = Users()
    if args.user:
        users.add(args.user, args.password or "")
    app = SnowflakeAdapter(fakesnow.server.app, users)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        lifespan="off",
        timeout_keep_alive=120,
        timeout_graceful_shutdown=2,
    )
    app.install_failure_capture()
    server = uvicorn.Server(config)

    if args.exit_on_stdin_eof:
        threading.Thread(target=stop_on_stdin_eof, args=(server,), name="stdin-watch", daemon=True).start()

    # uvicorn re-raises the signal that stopped it once it has shut down; with Python-level
    # handlers in place that re-raise is harmless and the cleanup below still runs.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: None)

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
                return
            await asyncio.sleep(0.02)
        print(f"conduit-emulator listening on http://{args.host}:{args.port}", flush=True)
        await task

    try:
        asyncio.run(serve())
    finally:
        if owns_data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if server.started else 1


def create_defaults(databases: list[str], schemas: list[str]) -> None:
    """Creates the databases and schemas a client expects to exist (Snowflake names, case kept)."""
    import fakesnow.server

    for database in databases:
        conn = fakesnow.server.shared_fs.connect()
        cursor = conn.cursor()
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS {quote(database)}")
        for schema in schemas:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}.{quote(schema)}")
        conn.close()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stop_on_stdin_eof(server: uvicorn.Server) -> None:
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, ValueError):
        pass
    server.should_exit = True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
