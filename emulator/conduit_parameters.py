"""Session parameters that change results, set per user and per session (docs/snowflake-emulator.md).

Snowflake takes a session parameter from the session (ALTER SESSION), else the user (ALTER USER …
SET), else the account. The emulator keeps user-level defaults (`ALTER USER name SET P = v, …`,
the tests' stand-in for a customised account) and per-session values, and honours:

- TIMEZONE: the session's DuckDB TimeZone, so CURRENT_TIMESTAMP() stored into a TIMESTAMP_NTZ lands
  in the session's zone, as in Snowflake;
- QUOTED_IDENTIFIERS_IGNORE_CASE: when TRUE, quoted identifiers are read as upper case;
- DATE/TIME/TIMESTAMP/BINARY_INPUT_FORMAT: recorded only (fakesnow parses input its own way).
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from conduit_ddl import SnowflakeError, sql_literal

PARAMETERS = {
    "TIMEZONE",
    "QUOTED_IDENTIFIERS_IGNORE_CASE",
    "DATE_INPUT_FORMAT",
    "TIME_INPUT_FORMAT",
    "TIMESTAMP_INPUT_FORMAT",
    "BINARY_INPUT_FORMAT",
}
ALTER_USER = re.compile(
    r"^\s*ALTER\s+USER\s+(?:IF\s+EXISTS\s+)?(?P<name>\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)"
    r"\s+SET\s+(?P<settings>.+?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
SETTING = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^']|'')*'|[^,\s]+)\s*(?:,|$)")


def _user_key(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.upper()


def _value(text: str) -> str:
    return text[1:-1].replace("''", "'") if text.startswith("'") else text.upper()


class Parameters:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, str]] = {}
        self.sessions: dict[str, dict[str, str]] = {}

    def alter_user(self, sql_text: str) -> str | None:
        """`ALTER USER name SET P = v, …` for the parameters above; None for any other statement."""
        match = ALTER_USER.match(sql_text)
        if match is None:
            return None
        settings = {name.upper(): _value(value) for name, value in SETTING.findall(match["settings"])}
        unknown = sorted(set(settings) - PARAMETERS)
        if unknown:
            message = f"SQL compilation error:\nthe Snowflake emulator keeps no user-level {', '.join(unknown)}"
            raise SnowflakeError(message, 2140, "0A000")
        self.users.setdefault(_user_key(match["name"]).lower(), {}).update(settings)
        return "Statement executed successfully."

    def login(self, token: str, login_name: str, conn: Any) -> None:
        values = dict(self.users.get(str(login_name).lower(), {}))
        self.sessions[token] = {}
        self.set(token, conn, values)

    def set(self, token: str, conn: Any, settings: dict[str, Any | None]) -> None:
        values = self.sessions.setdefault(token, {})
        for name, value in settings.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = str(value)
            if name == "TIMEZONE":
                conn._duck_conn.execute(f"SET TimeZone = {sql_literal(str(value or 'UTC'))}")

    def ignore_case(self, token: str) -> bool:
        return self.sessions.get(token, {}).get("QUOTED_IDENTIFIERS_IGNORE_CASE", "FALSE").upper() == "TRUE"

    def forget(self, token: str) -> None:
        self.sessions.pop(token, None)


def fold_quoted(expression: exp.Expr) -> exp.Expr:
    """QUOTED_IDENTIFIERS_IGNORE_CASE = TRUE: `"Orders"` is ORDERS."""
    folded = expression.copy()
    for identifier in folded.find_all(exp.Identifier):
        if identifier.quoted:
            identifier.set("this", identifier.this.upper())
    return folded
