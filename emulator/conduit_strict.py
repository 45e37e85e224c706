"""Rules that make the emulator refuse what Snowflake refuses, so tests catch SQL a real account
rejects (each rule is listed in docs/snowflake-emulator.md with the documentation it follows):

- NUMBER(p, s) / DECIMAL / NUMERIC: precision 1–38, scale 0–37 and at most the precision;
- PARSE_JSON(x) and PARSE_JSON(x, 's') are strict: a duplicate key in an object fails, as in Snowflake;
  PARSE_JSON(x, 'd') keeps duplicates (fakesnow's JSON then holds the text as written);
- a transforming COPY loads a bare `$n` into a BINARY column through the FILE_FORMAT's BINARY_FORMAT
  (HEX, the default), as Snowflake does; DuckDB would store the hex digits' own bytes.
"""

from __future__ import annotations

from typing import Any

import duckdb
import fakesnow.copy_into
import fakesnow.transforms
from sqlglot import exp

from conduit_ddl import SnowflakeError

MAX_PRECISION = 38
MAX_SCALE = 37
DECIMAL_TYPES = {exp.DataType.Type.DECIMAL, exp.DataType.Type.BIGDECIMAL}


def check_number_types(expression: exp.Expr) -> None:
    """Raises Snowflake's compilation error for a NUMBER type outside its limits."""
    for data_type in expression.find_all(exp.DataType):
        if data_type.this not in DECIMAL_TYPES or not data_type.expressions:
            continue
        params = [int(p.this.name) for p in data_type.expressions if isinstance(p.this, exp.Literal)]
        precision = params[0] if params else MAX_PRECISION
        scale = params[1] if len(params) > 1 else 0
        declared = f"Unsupported data type 'NUMBER({precision}, {scale})'"
        if not 1 <= precision <= MAX_PRECISION:
            raise compilation_error(f"{declared}: precision {precision} is out of range [1, {MAX_PRECISION}]")
        if not 0 <= scale <= min(MAX_SCALE, precision):
            raise compilation_error(f"{declared}: scale {scale} is out of range [0, {min(MAX_SCALE, precision)}]")


def compilation_error(detail: str) -> SnowflakeError:
    return SnowflakeError(f"SQL compilation error:\n{detail}", 2040, "42601")


def patch_strict_parse_json() -> None:
    """PARSE_JSON without 'd' fails on a duplicate key: DuckDB's json() keeps duplicates, so the
    value is checked with json_tree (two entries with one path) before it is converted."""
    original = fakesnow.transforms.try_parse_json

    def try_parse_json(expression: exp.Expr) -> exp.Expr:
        if isinstance(expression, exp.ParseJSON) and _mode(expression) != "d":
            return _strict_json(expression.this)
        return original(expression)

    fakesnow.transforms.try_parse_json = try_parse_json


def _mode(expression: exp.ParseJSON) -> str:
    parameter = expression.args.get("expression")
    return parameter.name.lower() if isinstance(parameter, exp.Literal) else "s"


def _strict_json(value: exp.Expr) -> exp.Expr:
    tree = exp.Anonymous(this="json_tree", expressions=[value.copy()])
    distinct_paths = exp.Count(this=exp.Distinct(expressions=[exp.column("fullkey")]))
    duplicated = exp.select(exp.NEQ(this=exp.Count(this=exp.Star()), expression=distinct_paths)).from_(tree)
    message = exp.Literal.string("Error parsing JSON: duplicate object attribute (strict PARSE_JSON)")
    failure = exp.Anonymous(this="error", expressions=[message])
    converted = exp.Anonymous(this="json", expressions=[value.copy()])
    return exp.Case(ifs=[exp.If(this=exp.Subquery(this=duplicated), true=failure)], default=converted)


def patch_copy_binary_format() -> None:
    """Snowflake decodes a CSV field loaded into a BINARY column with the FILE_FORMAT's BINARY_FORMAT
    (default HEX). fakesnow rejects the option and DuckDB casts text to BLOB byte for byte, so a bare
    `$n` aimed at a BINARY column becomes unhex($n); BASE64 and UTF8 are not emulated."""
    original = fakesnow.copy_into.copy_into

    def copy_into(
        duck_conn: duckdb.DuckDBPyConnection,
        current_database: str | None,
        current_schema: str | None,
        expr: exp.Copy,
        *args: Any,
        **kwargs: Any,
    ) -> str:
        binary_format = _pop_binary_format(expr)
        if binary_format != "HEX":
            raise NotImplementedError(f"BINARY_FORMAT = {binary_format}")
        _decode_binary_fields(duck_conn, current_database, current_schema, expr)
        return original(duck_conn, current_database, current_schema, expr, *args, **kwargs)

    fakesnow.copy_into.copy_into = copy_into


def _pop_binary_format(expr: exp.Copy) -> str:
    found = "HEX"
    for param in expr.args.get("params") or []:
        if not (isinstance(param, exp.CopyParameter) and param.this.name.upper() == "FILE_FORMAT"):
            continue
        for option in list(param.expressions):
            if isinstance(option, exp.Property) and option.name.upper() == "BINARY_FORMAT":
                found = option.args["value"].name.upper()
                option.pop()
    return found


def _decode_binary_fields(
    duck_conn: duckdb.DuckDBPyConnection, current_database: str | None, current_schema: str | None, expr: exp.Copy
) -> None:
    source = (expr.args.get("files") or [None])[0]
    select = source.this if isinstance(source, exp.Subquery) else None
    if not isinstance(select, exp.Select):
        return
    target = expr.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return
    types = _column_types(duck_conn, table.catalog or current_database, table.db or current_schema, table.name)
    names = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else list(types)
    for name, item in zip(names, select.expressions, strict=False):
        if isinstance(item, exp.Parameter) and types.get(name) == "BLOB":
            item.replace(exp.Anonymous(this="unhex", expressions=[item.copy()]))


def _column_types(
    duck_conn: duckdb.DuckDBPyConnection, database: str | None, schema: str | None, table: str
) -> dict[str, str]:
    rows = duck_conn.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE lower(database_name) = lower(?) "
        "AND lower(schema_name) = lower(?) AND table_name = ? ORDER BY column_index",
        [database or "", schema or "", table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}
