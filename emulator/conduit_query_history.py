"""Query history: each statement's text and QUERY_TAG, as Snowflake's INFORMATION_SCHEMA.QUERY_HISTORY shows them.

Snowflake records every statement with the QUERY_TAG in force for it: the statement's own (a client may send it in
the query request's `parameters`, as the Node SDK does for `execute({ parameters: { QUERY_TAG } })`) or else the
session's (`ALTER SESSION SET QUERY_TAG = '…'`). A tag over 2,000 characters is refused either way. The emulator
keeps the last HISTORY_SIZE statements of the process and answers
`SELECT … FROM TABLE([db.]INFORMATION_SCHEMA.QUERY_HISTORY[_BY_SESSION]([RESULT_LIMIT => n]))` from them: the
most recent RESULT_LIMIT (default 100, as in Snowflake) of all sessions, or of the current one, newest first.
"""

from __future__ import annotations

import collections
import datetime
import itertools
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from conduit_ddl import SnowflakeError
from conduit_rowset import encode_column

MAX_QUERY_TAG_CHARS = 2000
HISTORY_SIZE = 2000
DEFAULT_RESULT_LIMIT = 100
FUNCTIONS = {"QUERY_HISTORY", "QUERY_HISTORY_BY_SESSION"}

COLUMNS = (
    ("QUERY_ID", "VARCHAR"),
    ("QUERY_TEXT", "VARCHAR"),
    ("QUERY_TAG", "VARCHAR"),
    ("SESSION_ID", "BIGINT"),
    ("USER_NAME", "VARCHAR"),
    ("EXECUTION_STATUS", "VARCHAR"),
    ("ERROR_CODE", "VARCHAR"),
    ("ERROR_MESSAGE", "VARCHAR"),
    ("START_TIME", "TIMESTAMPTZ"),
    ("END_TIME", "TIMESTAMPTZ"),
    ("TOTAL_ELAPSED_TIME", "BIGINT"),
)


@dataclass(frozen=True)
class Statement:
    query_id: str
    text: str
    tag: str
    session: int
    user: str
    status: str
    error_code: str | None
    error_message: str | None
    start: datetime.datetime
    end: datetime.datetime

    def row(self) -> tuple[Any, ...]:
        elapsed = round((self.end - self.start).total_seconds() * 1000)
        return (
            self.query_id,
            self.text,
            self.tag,
            self.session,
            self.user,
            self.status,
            self.error_code,
            self.error_message,
            self.start,
            self.end,
            elapsed,
        )


def check_tag(value: str) -> str:
    if len(value) > MAX_QUERY_TAG_CHARS:
        # The wording and code are the emulator's; Snowflake documents the 2,000-character limit.
        raise SnowflakeError(
            f"SQL compilation error:\ninvalid value for parameter 'QUERY_TAG': {len(value)} characters, "
            f"at most {MAX_QUERY_TAG_CHARS} allowed",
            1008,
            "22023",
        )
    return value


class QueryHistory:
    def __init__(self) -> None:
        self.statements: collections.deque[Statement] = collections.deque(maxlen=HISTORY_SIZE)
        self.session_tags: dict[str, str] = {}
        self.sessions: dict[str, tuple[int, str]] = {}
        self.next_session_id = itertools.count(1)

    def start_session(self, token: str, user: str) -> None:
        self.sessions[token] = (next(self.next_session_id), user)

    def statement_tag(self, token: str, request: dict[str, Any]) -> str:
        """The tag a statement runs under: its own when the request carries one, else its session's."""
        own = (request.get("parameters") or {}).get("QUERY_TAG")
        if own is not None:
            return check_tag(str(own))
        return self.session_tags.get(token, "")

    def set_session_tag(self, token: str, value: str | None) -> None:
        """`ALTER SESSION SET QUERY_TAG = '…'` (value) or `UNSET QUERY_TAG` (None)."""
        if value is None:
            self.session_tags.pop(token, None)
        else:
            self.session_tags[token] = check_tag(value)

    def forget_session(self, token: str) -> None:
        """The session ended: its tag goes; its statements stay in the history, as in Snowflake."""
        self.session_tags.pop(token, None)
        self.sessions.pop(token, None)

    def record(self, token: str, text: str, tag: str, start: datetime.datetime, payload: Any) -> None:
        session, user = self.sessions.get(token, (0, ""))
        data = payload.get("data") if isinstance(payload, dict) else None
        data = data if isinstance(data, dict) else {}
        succeeded = isinstance(payload, dict) and bool(payload.get("success"))
        self.statements.append(
            Statement(
                query_id=str(data.get("queryId") or ""),
                text=text,
                tag=tag,
                session=session,
                user=user,
                status="SUCCESS" if succeeded else "FAILED_WITH_ERROR",
                error_code=None if succeeded else str(payload.get("code") if isinstance(payload, dict) else ""),
                error_message=None if succeeded else str(payload.get("message") if isinstance(payload, dict) else ""),
                start=start,
                end=now(),
            )
        )

    def answer(self, expression: exp.Expr | None, token: str) -> tuple[list[dict[str, Any]], list[list[Any]]] | None:
        """Rowtype and rowset of a SELECT over the history functions; None for any other statement."""
        if expression is None or not history_calls(expression):
            return None
        rewritten = expression.copy()
        db = duckdb.connect()
        try:
            for index, (node, call) in enumerate(history_calls(rewritten)):
                name = f"query_history_{index}"
                db.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in COLUMNS)})")
                rows = self.rows(call, token)
                if rows:
                    db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(COLUMNS))})", rows)
                node.replace(exp.Table(this=exp.to_identifier(name), alias=node.args.get("alias")))
            table = db.execute(rewritten.sql(dialect="duckdb")).to_arrow_table()
        finally:
            db.close()
        rowtype = [column_type(field.name, field.type) for field in table.schema]
        columns = [encode_column(table.column(i), rowtype[i]) for i in range(table.num_columns)]
        return rowtype, [list(row) for row in zip(*columns, strict=True)]

    def rows(self, call: exp.Anonymous, token: str) -> list[tuple[Any, ...]]:
        limit = DEFAULT_RESULT_LIMIT
        for argument in call.expressions:
            if isinstance(argument, exp.Kwarg) and argument.this.name.upper() == "RESULT_LIMIT":
                limit = int(argument.expression.name)
        by_session = call.name.upper() == "QUERY_HISTORY_BY_SESSION"
        session = self.sessions.get(token, (0, ""))[0]
        newest = [s for s in reversed(self.statements) if not by_session or s.session == session]
        return [s.row() for s in newest[:limit]]


def history_calls(expression: exp.Expr | None) -> list[tuple[exp.TableFromRows, exp.Anonymous]]:
    """The `TABLE(INFORMATION_SCHEMA.QUERY_HISTORY…(…))` sources of a statement, with their calls."""
    if expression is None:
        return []
    calls = []
    for node in expression.find_all(exp.TableFromRows):
        dot = node.this
        if not isinstance(dot, exp.Dot) or not isinstance(dot.expression, exp.Anonymous):
            continue
        schema = dot.this.name if isinstance(dot.this, exp.Identifier) else dot.this.expression.name
        if schema.upper() == "INFORMATION_SCHEMA" and dot.expression.name.upper() in FUNCTIONS:
            calls.append((node, dot.expression))
    return calls


def column_type(name: str, arrow_type: pa.DataType) -> dict[str, Any]:
    """A result column as Snowflake describes it: text, NUMBER(38,0), FLOAT, BOOLEAN or TIMESTAMP_LTZ."""
    kind = "text"
    if pa.types.is_integer(arrow_type):
        kind = "fixed"
    elif pa.types.is_floating(arrow_type):
        kind = "real"
    elif pa.types.is_boolean(arrow_type):
        kind = "boolean"
    elif pa.types.is_timestamp(arrow_type):
        kind = "timestamp_ltz"
    return {
        "name": name,
        "database": "",
        "schema": "",
        "table": "",
        "nullable": True,
        "type": kind,
        "byteLength": 16777216 if kind == "text" else None,
        "length": 16777216 if kind == "text" else None,
        "scale": 0 if kind == "fixed" else 9 if kind == "timestamp_ltz" else None,
        "precision": 38 if kind == "fixed" else 0 if kind == "timestamp_ltz" else None,
        "collation": None,
    }


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
