"""In-process corrections to fakesnow 0.12.1 internals, applied before its server handles anything.

Each patch wraps or replaces one fakesnow function; none changes the SQL a client sends. They are
listed, with the real-Snowflake behaviour they restore, in docs/snowflake-emulator.md.
"""

from __future__ import annotations

import contextvars
import copy
import datetime
import gzip
import os
import string
from typing import Any

import duckdb
import fakesnow.arrow
import fakesnow.copy_into
import fakesnow.cursor
import fakesnow.info_schema
import fakesnow.transforms
import fakesnow.transforms.stage
import pyarrow as pa
import pyarrow.compute as pc
import snowflake.connector.errors
from sqlglot import Expr, exp

import conduit_strict
from conduit_rowset import NANOS_PER_SECOND, NANOS_PER_UNIT

# DuckDB's default (2 MB) is far below Snowflake's fields; 40 MB is what the tests need (a field of
# Snowflake's largest VARCHAR, 128 MB, or a 64 MB BINARY as 128 MB of hex, would need more memory).
MAX_CSV_LINE_BYTES = 40 * 1024 * 1024


def apply_all(bucket_root: str) -> None:
    set_stage_root(bucket_root)
    patch_timestamp_struct()
    patch_csv_reader()
    patch_number_precision()
    patch_binary_length()
    patch_quotes_in_literals()
    patch_copy_files_on_internal_stage()
    patch_copy_positional_columns()
    patch_copy_one_insert()
    conduit_strict.patch_copy_binary_format()  # between the two: atomicity wraps the function it finds
    patch_copy_atomicity()
    patch_copy_empty_files()
    patch_merge_in_transaction()
    patch_insert_overwrite_reads_first()
    conduit_strict.patch_strict_parse_json()


def set_stage_root(bucket_root: str) -> None:
    """Keeps internal-stage files under this instance's data dir instead of a shared temp dir.

    fakesnow picks its bucket once at import (tempfile.mkdtemp) and every other module reads the
    attribute at call time, so replacing it here redirects PUT, LIST and COPY alike.
    """
    default_bucket = fakesnow.transforms.stage.LOCAL_BUCKET_PATH
    os.makedirs(bucket_root, exist_ok=True)
    fakesnow.transforms.stage.LOCAL_BUCKET_PATH = os.path.realpath(bucket_root)
    if os.path.realpath(default_bucket) != fakesnow.transforms.stage.LOCAL_BUCKET_PATH:
        try:
            os.rmdir(default_bucket)
        except OSError:
            pass


def patch_timestamp_struct() -> None:
    """fakesnow turns timestamps into Snowflake's (epoch, fraction[, timezone]) struct assuming
    microsecond units, so TIMESTAMP_NS values (TIMESTAMP_NTZ(9)) come out 1000x off; it also
    builds the struct from children that may be null. This version reads the unit and keeps nulls
    at the struct level."""

    def timestamp_to_sf_struct(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        if not isinstance(ts.type, pa.TimestampType):
            raise ValueError(f"Expected TimestampArray, got {type(ts)}")
        nanos_per_unit = NANOS_PER_UNIT[ts.type.unit]
        units_per_second = NANOS_PER_SECOND // nanos_per_unit
        nulls = ts.is_null()
        raw = ts.cast(pa.int64()).fill_null(0)
        # floor division and a non-negative remainder, whatever Arrow's integer division rounds to
        quotient = pc.divide(raw, units_per_second)
        remainder = pc.subtract(raw, pc.multiply(quotient, units_per_second))
        negative = pc.less(remainder, 0)
        epoch = pc.if_else(negative, pc.subtract(quotient, 1), quotient)
        remainder = pc.if_else(negative, pc.add(remainder, units_per_second), remainder)
        fraction = pc.multiply(remainder, nanos_per_unit).cast(pa.int32())
        arrays: list[pa.Array] = [epoch, fraction]
        fields = [pa.field("epoch", pa.int64(), nullable=False), pa.field("fraction", pa.int32(), nullable=False)]
        if ts.type.tz:
            # DuckDB keeps TIMESTAMPTZ as a UTC instant (no per-value offset), so the offset is 0.
            arrays.append(pa.array([1440] * len(ts), pa.int32()))
            fields.append(pa.field("timezone", pa.int32(), nullable=False))
        mask = nulls if pc.any(nulls).as_py() else None
        return pa.StructArray.from_arrays(arrays, fields=fields, mask=mask)

    fakesnow.arrow.timestamp_to_sf_struct = timestamp_to_sf_struct


def patch_csv_reader() -> None:
    """Makes fakesnow's DuckDB read_csv behave like Snowflake's CSV parser:

    - allow_quoted_nulls=false: a quoted empty field ("") is an empty string, only an unquoted
      empty field is NULL (Snowflake with FIELD_OPTIONALLY_ENCLOSED_BY; DuckDB makes both NULL);
    - all_varchar=true: every field is text and is cast by the target column or the COPY's SELECT,
      as in Snowflake; DuckDB otherwise sniffs types per file ('00123' becomes 123, hex becomes a
      number, ...);
    - delim always explicit: DuckDB otherwise sniffs the delimiter from the data;
    - escape = the quote character: doubled quotes inside quoted fields, as Snowflake reads them;
    - max_line_size raised to hold a 16 MB VARCHAR or an 8 MB BINARY as hex;
    - names = column0, column1, ...: DuckDB zero-pads generated names from 11 columns on
      (column00), which fakesnow's SELECT does not expect;
    - an empty file reads as zero rows (see patch_copy_empty_files).
    """
    read_csv_class = fakesnow.copy_into.ReadCSV
    original = read_csv_class.read_expression

    def read_expression(self: Any, url: str) -> Expr:
        expression = original(self, url)
        make_eq = fakesnow.copy_into.FileTypeHandler.make_eq
        present = {arg.this.name.lower() for arg in expression.expressions if isinstance(arg, exp.EQ)}
        extra: list[exp.EQ] = []
        if "all_varchar" not in present:
            extra.append(make_eq("all_varchar", True))
        if "sep" not in present and "delim" not in present:
            extra.append(make_eq("delim", self.sep or ","))
        if self.quote:
            extra.append(make_eq("allow_quoted_nulls", False))
            if "escape" not in present:
                extra.append(make_eq("escape", self.quote.replace("'", "''")))
        extra.append(make_eq("max_line_size", MAX_CSV_LINE_BYTES))
        column_count = _csv_column_count.get()
        if column_count and _is_empty_file(url, self.compression):
            # DuckDB cannot sniff an empty file; Snowflake loads it as zero rows
            extra.append(
                exp.EQ(
                    this=exp.Literal(this="columns", is_string=False),
                    expression=exp.Struct(
                        expressions=[
                            exp.PropertyEQ(
                                this=exp.Literal.string(f"column{i}"), expression=exp.Literal.string("VARCHAR")
                            )
                            for i in range(column_count)
                        ]
                    ),
                )
            )
            extra.append(make_eq("auto_detect", False))
        elif column_count:
            # DuckDB names columns column0..column9, but column00..column10 from 11 columns on;
            # fakesnow's SELECT (and $n here) expect column{n-1} whatever the width
            extra.append(make_eq("names", [f"column{i}" for i in range(column_count)]))
        expression.set("expressions", [*expression.expressions, *extra])
        return expression

    read_csv_class.read_expression = read_expression  # type: ignore[method-assign]


def patch_number_precision() -> None:
    """fakesnow turns NUMBER and NUMBER(38,0) into DuckDB BIGINT, so values past 2^63 (Snowflake
    holds 38 digits) fail. Keep them DECIMAL(38,0) (a 128-bit integer in DuckDB); INT, SMALLINT
    and TINYINT stay BIGINT as fakesnow makes them."""
    original = fakesnow.transforms.integer_precision

    def integer_precision(expression: Expr) -> Expr:
        if isinstance(expression, exp.DataType) and expression.this == exp.DataType.Type.DECIMAL:
            if not expression.expressions:
                return exp.DataType.build("DECIMAL(38, 0)")
            return expression
        return original(expression)

    fakesnow.transforms.integer_precision = integer_precision


def patch_binary_length() -> None:
    """`BINARY(n)` / `VARBINARY(n)` (Snowflake: at most n bytes) fail in DuckDB, whose BLOB takes no
    length ("Type BLOB does not take any type parameters"); the length is dropped (not enforced)."""
    original = fakesnow.transforms.semi_structured_types

    def semi_structured_types(expression: Expr) -> Expr:
        binary = (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY)
        if isinstance(expression, exp.DataType) and expression.this in binary and expression.expressions:
            expression.set("expressions", [])
        return original(expression)

    fakesnow.transforms.semi_structured_types = semi_structured_types


class _NameInLiteral(string.Template):
    """A fakesnow status statement (`SELECT 'Table ${name} successfully created.'`): the name sits in a
    SQL string literal, so its quotes are doubled."""

    def substitute(self, mapping: Any = None, /, **kws: Any) -> str:
        if "name" in kws:
            kws["name"] = str(kws["name"]).replace("'", "''")
        return super().substitute(**kws) if mapping is None else super().substitute(mapping, **kws)


def patch_quotes_in_literals() -> None:
    """fakesnow pastes names into SQL string literals unescaped: a table's comment and text lengths in
    its metadata tables (database, schema, table, column, comment) and the name in its status results.
    An apostrophe in any of them (`it's`, valid in Snowflake) made the statement fail to parse. Double
    the quotes first."""
    comment_sql = fakesnow.info_schema.insert_table_comment_sql
    lengths_sql = fakesnow.info_schema.insert_text_lengths_sql

    def quoted(text: str) -> str:
        return text.replace("'", "''")

    def insert_table_comment_sql(catalog: str, schema: str, table: str, comment: str) -> str:
        return comment_sql(quoted(catalog), quoted(schema), quoted(table), quoted(comment))

    def insert_text_lengths_sql(catalog: str, schema: str, table: str, text_lengths: list[tuple[str, int]]) -> str:
        columns = [(quoted(name), size) for name, size in text_lengths]
        return lengths_sql(quoted(catalog), quoted(schema), quoted(table), columns)

    fakesnow.info_schema.insert_table_comment_sql = insert_table_comment_sql
    fakesnow.info_schema.insert_text_lengths_sql = insert_text_lengths_sql
    for attribute, value in list(vars(fakesnow.cursor).items()):
        if attribute.startswith("SQL_") and isinstance(value, string.Template) and "${name}" in value.template:
            setattr(fakesnow.cursor, attribute, _NameInLiteral(value.template))


def patch_copy_files_on_internal_stage() -> None:
    """`COPY ... FROM @stage/path/ FILES = ('a.csv.gz', ...)` fails in fakesnow for internal stages
    ("invalid URL prefix": it only joins FILES onto URLs with a scheme). Snowflake reads FILES
    relative to the stage path, and a named file that is not there fails the statement."""
    original = fakesnow.copy_into._source_urls
    stage_module = fakesnow.transforms.stage

    def _source_urls(source: str, files: list[str]) -> list[str]:
        if not stage_module.is_internal(source):
            return original(source, files)
        base = source if source.endswith("/") else source + "/"
        urls = [base + name.lstrip("/") for name in files] or [source]
        for url in urls:
            if not os.path.isfile(url):
                raise snowflake.connector.errors.ProgrammingError(
                    msg=f"Remote file '{stage_module.internal_file_name(url)}' was not found. There are several "
                    "potential causes. The file might not exist. The required credentials may be missing or invalid.",
                    errno=91016,
                    sqlstate="22000",
                )
        return urls

    fakesnow.copy_into._source_urls = _source_urls


def patch_copy_positional_columns() -> None:
    """A transforming COPY (`FROM (SELECT $1, PARSE_JSON($3) ... FROM @stage)`) crashes in fakesnow
    when a bare `$n` is used (it only rewrites `$1:key` paths of semi-structured files). Here `$n`
    becomes DuckDB's read_csv column `column{n-1}`; `$1:key` keeps fakesnow's handling."""
    original = fakesnow.copy_into._strip_json_extract

    def _strip_json_extract(select: exp.Select) -> exp.Select:
        for parameter in list(select.find_all(exp.Parameter)):
            literal = parameter.this
            if not (isinstance(literal, exp.Literal) and not literal.is_string and literal.name.isdigit()):
                continue
            parent = parameter.parent
            if isinstance(parent, (exp.JSONExtract, exp.Bracket)) and parent.this is parameter:
                continue  # $1:key / $1['key']: semi-structured access, fakesnow's business
            parameter.replace(exp.column(f"column{int(literal.name) - 1}"))
        return original(select)

    fakesnow.copy_into._strip_json_extract = _strip_json_extract


def patch_merge_in_transaction() -> None:
    """fakesnow runs MERGE through a TEMPORARY table (`merge_candidates`) and records a NULL comment
    for it in `_fs_global`; inside an open transaction that already wrote the target's database,
    DuckDB refuses the second database ("a single transaction can only write to a single attached
    database"), so MERGE failed between BEGIN and COMMIT. Temporary tables without a COMMENT get
    no comment row: Snowflake has nothing to record for them either."""
    original = fakesnow.transforms.extract_comment_on_table

    def extract_comment_on_table(expression: Expr) -> Expr:
        result = original(expression)
        recorded = result.args.get("table_comment")
        if recorded is not None and recorded[1] is None and result.find(exp.TemporaryProperty):
            del result.args["table_comment"]
        return result

    fakesnow.transforms.extract_comment_on_table = extract_comment_on_table


def patch_insert_overwrite_reads_first() -> None:
    """Snowflake's INSERT OVERWRITE evaluates its SELECT before the table is emptied, so a table
    can be rewritten from itself (`INSERT OVERWRITE INTO t SELECT … FROM t QUALIFY …`). fakesnow
    runs DELETE then INSERT, so such a SELECT reads the emptied table and inserts nothing. The rows
    are kept in a session temporary table first; the INSERT stays last (its count is the result)."""
    import fakesnow.transforms.transforms as transforms_module
    from fakesnow.dialect import parse_one

    original = fakesnow.transforms.insert_overwrite

    def insert_overwrite(expression: Expr) -> list[Expr]:
        statements = original(expression)
        if len(statements) != 2 or not isinstance(statements[1], exp.Insert):
            return statements
        delete, insert = statements
        select = insert.expression
        keep = parse_one(f"CREATE OR REPLACE TEMPORARY TABLE _conduit_overwrite AS {select.sql(dialect='snowflake')}")
        insert.set("expression", parse_one("SELECT * FROM _conduit_overwrite"))
        return [keep, delete, insert]

    fakesnow.transforms.insert_overwrite = insert_overwrite
    transforms_module.insert_overwrite = insert_overwrite


def patch_copy_one_insert() -> None:
    """fakesnow loads a COPY's files with one INSERT each, one after another; DuckDB parallelises
    a single INSERT across cores but not a sequence of them, so more (smaller) files load slower
    than one file of the same rows. Snowflake loads a COPY's files in parallel: a CSV COPY of two
    or more files here reads them all in one read_csv. Other formats, PURGE and single files keep
    fakesnow's per-file path."""
    original = fakesnow.copy_into.copy_into

    def copy_into(
        duck_conn: duckdb.DuckDBPyConnection,
        current_database: str | None,
        current_schema: str | None,
        expr: exp.Copy,
        table_stages: Any,
        params: Any = None,
    ) -> str:
        args = (duck_conn, current_database, current_schema, expr, table_stages, params)
        # _params pops bound parameters it consumes: read them from a copy so a fallback sees them all
        cparams = fakesnow.copy_into._params(
            expr,
            copy.copy(params),
            duck_conn=duck_conn,
            current_database=current_database,
            current_schema=current_schema,
        )
        if not isinstance(cparams.file_format, fakesnow.copy_into.ReadCSV) or cparams.purge:
            return original(*args)
        table = fakesnow.copy_into._extract_table(expr.this)
        urls = _copy_urls(duck_conn, current_database, current_schema, expr, table_stages, cparams.files)
        if len(urls) < 2:
            return original(*args)
        schema = table.db or current_schema
        assert schema
        loaded_before = _loaded_before(duck_conn, urls, table.name, schema)
        pending = [url for url in urls if cparams.force or url not in loaded_before]
        try:
            counts = _load_csv_files(duck_conn, expr, cparams, pending)
        except duckdb.ConversionException as e:  # the error fakesnow raises for a value that does not cast
            raise snowflake.connector.errors.ProgrammingError(msg=e.args[0], errno=100038, sqlstate="22018") from None
        return _record_copy(duck_conn, urls, counts, table.name, schema)

    fakesnow.copy_into.copy_into = copy_into


def _copy_urls(
    duck_conn: duckdb.DuckDBPyConnection,
    current_database: str | None,
    current_schema: str | None,
    expr: exp.Copy,
    table_stages: Any,
    files: list[str],
) -> list[str]:
    """The files a COPY reads, resolved as fakesnow resolves them (FILES, else the stage listing)."""
    module = fakesnow.copy_into
    source = module._from_source(expr)
    if source.startswith("@"):
        table = module._extract_table(expr.this)
        source = module.stage_url_from_var(source[1:], duck_conn, current_database, current_schema, table_stages, table)
    return module._source_urls(source, files) if files else module._source_glob(source, duck_conn)


def _loaded_before(duck_conn: duckdb.DuckDBPyConnection, urls: list[str], table: str, schema: str) -> set[str]:
    """Load metadata: the files an earlier COPY loaded into this table (skipped unless FORCE)."""
    rows = duck_conn.execute(
        "SELECT DISTINCT file_name FROM _fs_information_schema._fs_load_history "
        "WHERE table_name = ? AND schema_name = ? AND list_contains(?, file_name)",
        [table, schema, urls],
    ).fetchall()
    return {row[0] for row in rows}


def _load_csv_files(
    duck_conn: duckdb.DuckDBPyConnection, expr: exp.Copy, cparams: Any, urls: list[str]
) -> dict[str, int]:
    """Loads the files in one INSERT and returns the rows read from each.

    The statement is fakesnow's INSERT for one file (with this module's read_csv settings) over a
    list of files. With several files the rows go through a temporary table that keeps read_csv's
    filename column: COPY reports rows per file, and reading the files again to count them costs
    about half of the load, while the copy in memory costs about a tenth.
    """
    counts = dict.fromkeys(urls, 0)
    # empty files hold no rows, and DuckDB cannot sniff one when it comes first in the list
    with_rows = [url for url in urls if not _is_empty_file(url, cparams.file_format.compression)]
    if not with_rows:
        return counts
    insert = fakesnow.copy_into._inserts(expr, cparams, with_rows[:1])[0]
    if len(with_rows) == 1:
        (counts[with_rows[0]],) = duck_conn.execute(insert.sql(dialect="duckdb")).fetchone()
        return counts
    select = insert.expression
    read = select.args["from_"].this.this
    read.set("this", exp.array(*[fakesnow.copy_into.FileTypeHandler.file_literal(url) for url in with_rows]))
    read.append("expressions", fakesnow.copy_into.FileTypeHandler.make_eq("filename", True))
    # over a list of files DuckDB's default buffer for a 40 MB max_line_size cost ~30% more CPU
    # than one INSERT per file; a buffer of max_line_size brought it to slightly less
    read.append("expressions", fakesnow.copy_into.FileTypeHandler.make_eq("buffer_size", MAX_CSV_LINE_BYTES))
    # a COPY's files share one FILE_FORMAT: sniffing each file cost ~12 ms apiece (4 x 25K rows:
    # 213 -> 177 ms), the same sniff of the first file as a one-file COPY pays
    read.append("expressions", fakesnow.copy_into.FileTypeHandler.make_eq("files_to_sniff", 1))
    if not select.is_star:
        # positional names: two SELECT items may name the same column ($1, $1)
        select.set("expressions", [exp.alias_(e, f"_conduit_c{i}") for i, e in enumerate(select.expressions)])
    select.select("filename AS _conduit_file", copy=False)
    duck_conn.execute(f"CREATE TEMP TABLE _conduit_copy_rows AS {select.sql(dialect='duckdb')}")
    try:
        duck_conn.execute(
            f"INSERT INTO {insert.this.sql(dialect='duckdb')} SELECT * EXCLUDE (_conduit_file) FROM _conduit_copy_rows"
        )
        per_file = duck_conn.execute("SELECT _conduit_file, count(*) FROM _conduit_copy_rows GROUP BY ALL").fetchall()
    finally:
        duck_conn.execute("DROP TABLE _conduit_copy_rows")
    # read_csv names a file as it was given, glob-escaped for internal stages
    by_literal = {fakesnow.copy_into.FileTypeHandler.file_literal(url).name: url for url in with_rows}
    counts.update({by_literal.get(name, name): count for name, count in per_file})
    return counts


def _record_copy(
    duck_conn: duckdb.DuckDBPyConnection, urls: list[str], counts: dict[str, int], table: str, schema: str
) -> str:
    """Writes load metadata for the loaded files and selects COPY's result rows (one per file,
    in FILES order): LOADED with its rows, or LOAD_SKIPPED for a file loaded before."""
    load_time = datetime.datetime.now(datetime.UTC).isoformat()
    history = [
        (schema, url, table, load_time, "LOADED", rows, rows, None, None, None, None, 0, 1)
        for url, rows in counts.items()
    ]
    if history:
        duck_conn.executemany(
            f"INSERT INTO _fs_information_schema._fs_load_history VALUES ({', '.join('?' * 13)})", history
        )
    rows = [
        (url, "LOADED", counts[url], counts[url], 1, 0, None)
        if url in counts
        else (url, "LOAD_SKIPPED", 0, 0, None, 1, "File was loaded before.")
        for url in urls
    ]
    values = exp.values(
        [(fakesnow.copy_into._result_file_name(url), *rest, None, None, None) for url, *rest in rows],
        alias="t",
        columns=[
            "file",
            "status",
            "rows_parsed",
            "rows_loaded",
            "error_limit",
            "errors_seen",
            "first_error",
            "first_error_line",
            "first_error_character",
            "first_error_column_name",
        ],
    )
    sql = exp.select("*").from_(values).sql(dialect="duckdb")
    duck_conn.execute(sql)
    return sql


def patch_copy_atomicity() -> None:
    """fakesnow runs COPY as one INSERT per file, each committed on its own in autocommit mode, so
    a bad file leaves the earlier files loaded. Snowflake's COPY (ON_ERROR = ABORT_STATEMENT) loads
    all files or none, load metadata included: run it in one transaction unless one is open."""
    original = fakesnow.copy_into.copy_into

    def copy_into(duck_conn: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> str:
        try:
            duck_conn.execute("BEGIN TRANSACTION")
        except duckdb.TransactionException:
            return original(duck_conn, *args, **kwargs)  # the session's transaction decides
        try:
            result_sql = original(duck_conn, *args, **kwargs)
        except BaseException:
            duck_conn.execute("ROLLBACK")
            raise
        duck_conn.execute("COMMIT")
        duck_conn.execute(result_sql)  # the cursor reads COPY's result rows from the last statement
        return result_sql

    fakesnow.cursor.copy_into = copy_into


# How many CSV columns the COPY being planned reads ($n in its SELECT, or its column list).
_csv_column_count: contextvars.ContextVar[int | None] = contextvars.ContextVar("conduit_csv_columns", default=None)


def _is_empty_file(url: str, compression: str | None) -> bool:
    if not os.path.isfile(url):
        return False
    if os.path.getsize(url) == 0:
        return True
    if compression == "gzip" or (compression in (None, "auto", "auto_detect") and url.endswith(".gz")):
        try:
            with gzip.open(url, "rb") as f:
                return f.read(1) == b""
        except OSError:
            return False
    return False


def patch_copy_empty_files() -> None:
    """A COPY naming an empty file (a partition that had no rows) fails in fakesnow because DuckDB
    cannot sniff an empty CSV; Snowflake loads it as zero rows. The number of columns to read is
    taken from the COPY (highest $n of its SELECT, or its column list) for read_csv to use."""
    original = fakesnow.copy_into._inserts

    def _inserts(expr: exp.Copy, params: Any, urls: list[str], parquet_info: Any = None) -> list[Expr]:
        source = expr.args["files"][0]
        count: int | None = None
        if isinstance(source, exp.Subquery):
            positions = [
                int(p.this.name)
                for p in source.find_all(exp.Parameter)
                if isinstance(p.this, exp.Literal) and p.this.name.isdigit()
            ]
            count = max(positions) if positions else None
        elif isinstance(expr.this, exp.Schema) and expr.this.expressions:
            count = len(expr.this.expressions)
        token = _csv_column_count.set(count)
        try:
            return original(expr, params, urls, parquet_info)
        finally:
            _csv_column_count.reset(token)

    fakesnow.copy_into._inserts = _inserts
