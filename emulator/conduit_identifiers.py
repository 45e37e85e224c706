"""Exact-case names, as in Snowflake (docs/snowflake-emulator.md, "Identifier case").

Snowflake folds unquoted identifiers to upper case and matches names exactly after that, so
`"Staging_Area"`, `STAGING_AREA` and `"staging_area"` are three schemas. DuckDB keeps the case it
was given but matches names case-insensitively, and fakesnow upper-cases the login's database and
schema (quoted or not) and creates them when missing. Here:

- the login's database and schema are resolved as identifiers and set only when they exist exactly;
- a reference to a database, schema or table that exists only in another case fails as missing
  (Snowflake's 002003), instead of reaching the other object;
- creating an object beside one whose name differs only in case is refused with a message saying
  why: DuckDB cannot hold both (a gap, not a Snowflake rule).
"""

from __future__ import annotations

from typing import Any

import duckdb
from sqlglot import exp

from conduit_ddl import SnowflakeError, quote_ident, sql_literal


def identifier(raw: str) -> str:
    """A login name as Snowflake reads it: in double quotes exact, otherwise upper case."""
    if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.upper()


def use_login_names(conn: Any, database: str | None, schema: str | None) -> dict[str, Any]:
    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    db = identifier(database) if database else None
    sc = identifier(schema) if schema else None
    catalog = _Catalog(duck)
    conn.database, conn._schema, conn.database_set, conn.schema_set = None, None, False, False
    if db and db in catalog.databases:
        conn.database, conn.database_set = db, True
        # as in Snowflake, a database without a (valid) schema leaves PUBLIC current when it exists
        sc = sc if sc and (db, sc) in catalog.schemas else "PUBLIC"
        if (db, sc) in catalog.schemas:
            conn._schema, conn.schema_set = sc, True
        current = quote_ident(db) + "." + quote_ident(sc if conn.schema_set else "main")
        duck.execute(f"SET schema = {sql_literal(current)}")
    return {"databaseName": conn.database, "schemaName": conn._schema}


class _Catalog:
    def __init__(self, duck: duckdb.DuckDBPyConnection):
        self.databases = {r[0] for r in duck.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        schemas = duck.execute("SELECT database_name, schema_name FROM duckdb_schemas()").fetchall()
        self.schemas = {(r[0], r[1]) for r in schemas}
        self.tables = {
            (r[0], r[1], r[2])
            for r in duck.execute(
                "SELECT database_name, schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
                "UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE NOT temporary"
            ).fetchall()
        }

    def database_case(self, name: str) -> str | None:
        """The stored spelling of a database that matches `name` only case-insensitively."""
        return _other_case(name, self.databases)

    def schema_case(self, database: str, schema: str) -> str | None:
        return _other_case((database, schema), self.schemas)

    def table_case(self, database: str, schema: str, name: str) -> str | None:
        return _other_case((database, schema, name), self.tables)


def _other_case(key: Any, existing: set[Any]) -> str | None:
    if key in existing:
        return None
    folded = _fold(key)
    for candidate in existing:
        if _fold(candidate) == folded:
            return ".".join(candidate) if isinstance(candidate, tuple) else candidate
    return None


def _fold(key: Any) -> Any:
    return tuple(k.lower() for k in key) if isinstance(key, tuple) else key.lower()


def _name(part: exp.Expr | None) -> str | None:
    if isinstance(part, exp.Identifier):
        return part.this if part.quoted else part.this.upper()
    return None


def check(conn: Any, expression: exp.Expr) -> bool:
    """Raises when the statement names an object that exists only in another case, or creates one
    beside such an object. False when it is a DROP … IF EXISTS of such an object (nothing to do)."""
    kind = str(expression.args.get("kind") or "").upper()
    tables = [
        t
        for t in expression.find_all(exp.Table)
        if isinstance(t.this, exp.Identifier) or (kind == "SCHEMA" and t is expression.this)
    ]
    if not tables:
        return True
    creating = isinstance(expression, exp.Create) and kind in ("TABLE", "SCHEMA", "VIEW")
    dropping = isinstance(expression, exp.Drop) and kind in ("TABLE", "SCHEMA", "VIEW")
    ctes = {cte.alias_or_name.upper() for cte in expression.find_all(exp.CTE)}
    renamed_to = {id(a.this) for a in expression.find_all(exp.AlterRename)}
    catalog = _Catalog(conn._duck_conn)
    for table in tables:
        is_schema = kind == "SCHEMA" and table is expression.this
        parts = (table.args.get("catalog"), table.args.get("db"))
        database = _name(parts[0]) or conn.database
        schema = _name(parts[1]) if is_schema else (_name(parts[1]) or conn._schema)
        name = None if is_schema else _name(table.this)
        if not database or (schema or "").upper() in ("INFORMATION_SCHEMA", "_FS_INFORMATION_SCHEMA"):
            continue
        if name and not parts[0] and not parts[1] and name.upper() in ctes:
            continue
        target = table is expression.this or (isinstance(expression.this, exp.Schema) and table is expression.this.this)
        stored = catalog.database_case(database)
        if stored is None and schema:
            stored = catalog.schema_case(database, schema)
            if stored is None and name and not is_schema:
                stored = catalog.table_case(database, schema, name)
                if stored is not None and ((creating and target) or id(table) in renamed_to):
                    raise _cannot_hold(".".join((database, schema, name)), stored)
            elif stored is not None and is_schema and creating:
                raise _cannot_hold(f"{database}.{schema}", stored)
        if stored is None:
            continue
        if dropping and expression.args.get("exists"):
            return False
        missing = ".".join(p for p in (database, schema, name) if p)
        raise SnowflakeError(
            f"SQL compilation error:\nObject '{missing}' does not exist or not authorized. (The Snowflake "
            f"emulator holds '{stored}': names are case-sensitive once quoted.)",
            2003,
            "02000",
        )
    return True


def _cannot_hold(wanted: str, stored: str) -> SnowflakeError:
    return SnowflakeError(
        f"SQL compilation error:\nthe Snowflake emulator cannot create '{wanted}' beside '{stored}': its DuckDB "
        "matches names case-insensitively (Snowflake would hold both).",
        2140,
        "0A000",
    )


def create_database(conn: Any, expression: exp.Create) -> str:
    """CREATE DATABASE [IF NOT EXISTS] with the name Snowflake gives it (fakesnow keeps an unquoted
    name's case and writes the name unquoted into its ATTACH and info-schema SQL, so a name with a
    space failed to parse)."""
    import fakesnow.info_schema
    import fakesnow.macros

    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    name = _name(expression.find(exp.Identifier))
    if not name:
        raise SnowflakeError("SQL compilation error:\nCREATE DATABASE needs a name", 1003, "42000")
    catalog = _Catalog(duck)
    if name in catalog.databases:
        if expression.args.get("exists"):
            return f"{name} already exists, statement succeeded."
        raise SnowflakeError(f"SQL compilation error:\nObject '{name}' already exists.", 2002, "42710")
    if (stored := catalog.database_case(name)) is not None:
        raise _cannot_hold(name, stored)
    marker = "\x00catalog\x00"
    setup = fakesnow.info_schema.per_db_creation_sql(marker) + fakesnow.macros.creation_sql(marker)
    setup = setup.replace(f"'{marker}'", sql_literal(name)).replace(marker, quote_ident(name))
    duck.execute(f"ATTACH DATABASE ':memory:' AS {quote_ident(name)}")
    duck.execute(setup)
    duck.execute(f"CREATE SCHEMA {quote_ident(name)}.PUBLIC")  # Snowflake gives every new database one
    return f"Database {name} successfully created."


def create_schema(conn: Any, expression: exp.Create) -> str:
    """CREATE SCHEMA [IF NOT EXISTS] with exact names; as in Snowflake the new schema becomes the
    session's current one (fakesnow does that with an unquoted SET, which fails on a space)."""
    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    table = expression.this
    database = (_name(table.args.get("catalog")) or conn.database) if isinstance(table, exp.Table) else None
    schema = _name(table.args.get("db")) if isinstance(table, exp.Table) else None
    if not database or not schema:
        raise SnowflakeError(
            "Cannot perform CREATE SCHEMA. This session does not have a current database. Call 'USE DATABASE', "
            "or use a qualified name.",
            90105,
            "22000",
        )
    catalog = _Catalog(duck)
    if database not in catalog.databases:
        message = f"SQL compilation error:\nDatabase '{database}' does not exist or not authorized."
        raise SnowflakeError(message, 2003, "02000")
    if (database, schema) in catalog.schemas:
        if expression.args.get("exists"):
            return f"{schema} already exists, statement succeeded."
        raise SnowflakeError(f"SQL compilation error:\nObject '{schema}' already exists.", 2002, "42710")
    if (stored := catalog.schema_case(database, schema)) is not None:
        raise _cannot_hold(f"{database}.{schema}", stored)
    duck.execute(f"CREATE SCHEMA {quote_ident(database)}.{quote_ident(schema)}")
    duck.execute(f"SET schema = {sql_literal(quote_ident(database) + '.' + quote_ident(schema))}")
    conn.database, conn.database_set, conn._schema, conn.schema_set = database, True, schema, True
    return f"Schema {schema} successfully created."
