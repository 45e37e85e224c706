"""Table DDL that fakesnow lacks or gets subtly wrong, run against a session's DuckDB connection.

fakesnow keeps a table's COMMENT and text lengths in `_fs_global` side tables and COPY load history
in `_fs_information_schema._fs_load_history` of the session's current database (COPY reads and
writes it there, keyed by schema and table name, whatever database the target is in), all keyed by
table *name*. In Snowflake both
belong to the table object: they follow it through RENAME and SWAP, vanish with DROP, and a new
table starts without them (TRUNCATE also clears load metadata). The functions here move or clear
that metadata together with the table.

DuckDB lets one transaction write to only one attached database, and the comments live in another
one (`_fs_global`) than the tables, so a SWAP commits the renames plus load history in one
transaction and the comments right after. The adapter runs these under its exclusive lock, so no
other statement can observe the state in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

GLOBAL_EXT = "_fs_global._fs_information_schema"


class SnowflakeError(Exception):
    """An error answered to the client the way Snowflake answers it."""

    def __init__(self, message: str, code: int, sqlstate: str):
        super().__init__(message)
        self.message = message
        self.code = f"{code:06d}"
        self.sqlstate = sqlstate


@dataclass(frozen=True)
class TableName:
    catalog: str
    schema: str
    name: str

    def duck(self) -> str:
        return ".".join(quote_ident(part) for part in (self.catalog, self.schema, self.name))

    def display(self) -> str:
        return ".".join(self._display_part(p) for p in (self.catalog, self.schema, self.name))

    @staticmethod
    def _display_part(part: str) -> str:
        return part if part.isupper() and part.replace("_", "").isalnum() else quote_ident(part)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(identifier: exp.Expr | None) -> str | None:
    if identifier is None:
        return None
    if isinstance(identifier, exp.Identifier):
        # Snowflake folds unquoted identifiers to upper case and keeps quoted ones as written
        return identifier.this if identifier.quoted else identifier.this.upper()
    return identifier.name.upper()


def resolve(table: exp.Table, conn: Any) -> TableName:
    catalog = _ident(table.args.get("catalog")) or conn.database
    schema = _ident(table.args.get("db")) or conn.schema
    name = _ident(table.this)
    if not catalog or not schema or not name:
        raise SnowflakeError(
            "Cannot perform operation. This session does not have a current database or schema. "
            "Call 'USE DATABASE' and 'USE SCHEMA', or use qualified names.",
            90105,
            "22000",
        )
    return TableName(catalog, schema, name)


def table_exists(duck: duckdb.DuckDBPyConnection, table: TableName) -> bool:
    # DuckDB matches catalog and schema names case-insensitively; table names as stored.
    row = duck.execute(
        "SELECT 1 FROM duckdb_tables() WHERE lower(database_name) = lower(?) "
        "AND lower(schema_name) = lower(?) AND table_name = ? AND NOT temporary",
        [table.catalog, table.schema, table.name],
    ).fetchone()
    return row is not None


def does_not_exist(table: TableName) -> SnowflakeError:
    return SnowflakeError(
        f"SQL compilation error:\nObject '{table.display()}' does not exist or not authorized.", 2003, "02000"
    )


def commit_open_transaction(conn: Any) -> None:
    """Snowflake commits a session's open transaction before running DDL."""
    try:
        conn._duck_conn.execute("COMMIT")
    except duckdb.TransactionException:
        pass  # no transaction was open
    conn._in_transaction = False


def swap_tables(conn: Any, first: TableName, second: TableName) -> None:
    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    for table in (first, second):
        if not table_exists(duck, table):
            raise does_not_exist(table)
    if (first.catalog.lower(), first.schema.lower()) != (second.catalog.lower(), second.schema.lower()):
        raise SnowflakeError(
            "SQL compilation error:\nthe Snowflake emulator swaps only tables of the same schema "
            f"({first.display()} and {second.display()} differ).",
            2203,
            "0A000",
        )
    if first == second:
        return
    commit_open_transaction(conn)
    parking = TableName(first.catalog, first.schema, f"__conduit_swap_{uuid.uuid4().hex}")
    history_db = _history_database(conn)
    same_db = history_db is not None and history_db.lower() == first.catalog.lower()
    duck.execute("BEGIN TRANSACTION")
    try:
        _rename(duck, first, parking.name)
        _rename(duck, second, first.name)
        _rename(duck, parking, second.name)
        if same_db:
            _swap_load_history(duck, history_db, first, second)
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    if history_db is not None and not same_db:
        _swap_load_history(duck, history_db, first, second)
    _move_global_metadata(duck, {first: second.name, second: first.name})


def rename_table(conn: Any, source: TableName, target: TableName, if_exists: bool) -> None:
    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    if not table_exists(duck, source):
        if if_exists:
            return
        raise does_not_exist(source)
    if (source.catalog.lower(), source.schema.lower()) != (target.catalog.lower(), target.schema.lower()):
        raise SnowflakeError(
            "SQL compilation error:\nthe Snowflake emulator renames tables only within their schema "
            f"({source.display()} to {target.display()}).",
            2203,
            "0A000",
        )
    if source.name == target.name:
        return
    if table_exists(duck, target):
        raise SnowflakeError(f"SQL compilation error:\nObject '{target.display()}' already exists.", 2002, "42710")
    commit_open_transaction(conn)
    history_db = _history_database(conn)
    same_db = history_db is not None and history_db.lower() == source.catalog.lower()
    duck.execute("BEGIN TRANSACTION")
    try:
        _rename(duck, source, target.name)
        if same_db:
            _move_load_history(duck, history_db, source, target.name)
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    if history_db is not None and not same_db:
        _move_load_history(duck, history_db, source, target.name)
    _move_global_metadata(duck, {source: target.name})


def forget_table(conn: Any, table: TableName, keep_comment: bool = False) -> None:
    """Clears the metadata of a table that was dropped, or replaced by a new table object."""
    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    clear_load_history(conn, table)
    if not keep_comment:
        duck.execute(
            f"DELETE FROM {GLOBAL_EXT}._fs_tables_ext WHERE ext_table_catalog = ? "
            "AND ext_table_schema = ? AND ext_table_name = ?",
            [table.catalog, table.schema, table.name],
        )


def clear_load_history(conn: Any, table: TableName) -> None:
    history_db = _history_database(conn)
    if history_db is not None:
        _delete_load_history(conn._duck_conn, history_db, table)


def drop_stage(conn: Any, stage: TableName) -> bool:
    """Drops a named stage and deletes its files (dropping an internal stage purges them in
    Snowflake too). False when there was no such stage."""
    import shutil

    import fakesnow.transforms.stage as stage_module

    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    found = duck.execute(
        f"SELECT 1 FROM {GLOBAL_EXT}._fs_stages WHERE database_name = ? AND schema_name = ? AND name = ?",
        [stage.catalog, stage.schema, stage.name],
    ).fetchone()
    if found is None:
        return False
    duck.execute(
        f"DELETE FROM {GLOBAL_EXT}._fs_stages WHERE database_name = ? AND schema_name = ? AND name = ?",
        [stage.catalog, stage.schema, stage.name],
    )
    directory = stage_module.internal_dir(f"{stage.catalog}.{stage.schema}.{stage.name}")
    shutil.rmtree(directory, ignore_errors=True)
    return True


def _rename(duck: duckdb.DuckDBPyConnection, table: TableName, new_name: str) -> None:
    duck.execute(f"ALTER TABLE {table.duck()} RENAME TO {quote_ident(new_name)}")


def _history_database(conn: Any) -> str | None:
    database = conn.database
    return database if isinstance(database, str) and database else None


def _load_history(database: str) -> str:
    return f"{quote_ident(database)}._fs_information_schema._fs_load_history"


def _swap_load_history(duck: duckdb.DuckDBPyConnection, database: str, first: TableName, second: TableName) -> None:
    duck.execute(
        f"UPDATE {_load_history(database)} SET TABLE_NAME = CASE WHEN TABLE_NAME = ? THEN ? ELSE ? END "
        "WHERE SCHEMA_NAME = ? AND TABLE_NAME IN (?, ?)",
        [first.name, second.name, first.name, first.schema, first.name, second.name],
    )


def _move_load_history(duck: duckdb.DuckDBPyConnection, database: str, table: TableName, new_name: str) -> None:
    duck.execute(
        f"UPDATE {_load_history(database)} SET TABLE_NAME = ? WHERE SCHEMA_NAME = ? AND TABLE_NAME = ?",
        [new_name, table.schema, table.name],
    )


def _delete_load_history(duck: duckdb.DuckDBPyConnection, database: str, table: TableName) -> None:
    try:
        duck.execute(
            f"DELETE FROM {_load_history(database)} WHERE SCHEMA_NAME = ? AND TABLE_NAME = ?",
            [table.schema, table.name],
        )
    except duckdb.CatalogException:
        pass  # the database is gone


def _move_global_metadata(duck: duckdb.DuckDBPyConnection, renames: dict[TableName, str]) -> None:
    """Re-keys comments and text lengths of renamed tables (delete + insert: the keys are primary)."""
    duck.execute("BEGIN TRANSACTION")
    try:
        for side_table, name_column, key_columns in (
            ("_fs_tables_ext", "ext_table_name", ("ext_table_catalog", "ext_table_schema")),
            ("_fs_columns_ext", "ext_table_name", ("ext_table_catalog", "ext_table_schema")),
        ):
            moved: list[tuple[list[str], list[Any]]] = []
            for table, new_name in renames.items():
                cursor = duck.execute(
                    f"SELECT * FROM {GLOBAL_EXT}.{side_table} WHERE {key_columns[0]} = ? "
                    f"AND {key_columns[1]} = ? AND {name_column} = ?",
                    [table.catalog, table.schema, table.name],
                )
                columns = [d[0] for d in cursor.description or []]
                for row in cursor.fetchall():
                    values = list(row)
                    values[columns.index(name_column)] = new_name
                    moved.append((columns, values))
            for table in renames:
                duck.execute(
                    f"DELETE FROM {GLOBAL_EXT}.{side_table} WHERE {key_columns[0]} = ? "
                    f"AND {key_columns[1]} = ? AND {name_column} = ?",
                    [table.catalog, table.schema, table.name],
                )
            for columns, values in moved:
                placeholders = ", ".join("?" for _ in columns)
                duck.execute(
                    f"INSERT INTO {GLOBAL_EXT}.{side_table} ({', '.join(columns)}) VALUES ({placeholders})", values
                )
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise
