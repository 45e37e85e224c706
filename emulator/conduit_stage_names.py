"""Stage references as Snowflake reads them in PUT and COPY (docs/snowflake-emulator.md).

Snowflake's PUT page: "If the stage name or path includes spaces or special characters, enclose it
in single quotes" (`'@"my db"."my schema"."my stage"'`); COPY INTO takes any location in single
quotes too. fakesnow 0.12.1 refuses the quoted form ("does not start with @") and accepts an
unquoted reference with spaces, which Snowflake refuses: the reverse of Snowflake. Here the quoted
form is read, an unquoted reference holding whitespace or a non-ASCII character is refused, and
the namespace is split honouring double quotes (fakesnow splits on every dot).
"""

from __future__ import annotations

from typing import Any

import fakesnow.checks
import fakesnow.copy_into
import fakesnow.transforms
import fakesnow.transforms.stage
import snowflake.connector.errors
from sqlglot import exp


def apply_all() -> None:
    patch_put_target()
    patch_copy_source()
    patch_stage_name_parts()
    patch_stage_not_a_table()


def stage_reference(text: str) -> str:
    """The `@…` reference a PUT/COPY location means: quoted ones unquoted, unquoted ones checked."""
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'").replace("\\\\", "\\")
    if any(ch.isspace() or not ch.isascii() for ch in text):
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"SQL compilation error:\nsyntax error: the stage reference {text} holds a space or a special "
            'character: enclose the whole reference in single quotes (\'@"my db"."my schema"."stage"\')',
            errno=1003,
            sqlstate="42000",
        )
    return text


def patch_put_target() -> None:
    original = fakesnow.transforms.stage.put_stage

    def put_stage(expression: exp.Expr, *args: Any, **kwargs: Any) -> exp.Expr:
        target = expression.args.get("target") if isinstance(expression, exp.Put) else None
        if isinstance(target, exp.Var) and target.this != "?":
            expression = expression.copy()
            expression.set("target", exp.Var(this=stage_reference(target.this)))
        return original(expression, *args, **kwargs)

    fakesnow.transforms.stage.put_stage = put_stage
    fakesnow.transforms.put_stage = put_stage


def patch_copy_source() -> None:
    """`FROM '@…'` and `FROM (SELECT … FROM '@…')`: a string naming a stage is that stage."""
    original = fakesnow.copy_into._from_source

    def _from_source(expr: exp.Copy) -> str:
        source = expr.args["files"][0].this
        if isinstance(source, exp.Select):
            from_ = source.args.get("from_")
            source = from_.this.this if isinstance(from_, exp.From) and isinstance(from_.this, exp.Table) else None
        if isinstance(source, exp.Literal) and source.is_string and source.this.startswith("@"):
            return source.this
        if isinstance(source, exp.Var):
            return stage_reference(source.this)
        return original(expr)

    fakesnow.copy_into._from_source = _from_source


def patch_stage_name_parts() -> None:
    """`"my.db"."s"."stage"` is three parts; unquoted parts fold to upper case, quoted ones are exact."""
    stage_module = fakesnow.transforms.stage

    def parts_from_var(var: str, current_database: str | None, current_schema: str | None) -> tuple[str, str, str]:
        parts = split_name(var)
        if len(parts) == 1 and current_database and current_schema:
            return current_database, current_schema, parts[0]
        if len(parts) == 2 and current_database:
            return current_database, parts[0], parts[1]
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"SQL compilation error:\ninvalid stage name {var}", errno=1003, sqlstate="42000"
        )

    stage_module.parts_from_var = parts_from_var


def split_name(text: str) -> list[str]:
    parts: list[str] = []
    current = ""
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current += ch
        elif ch == '"':
            quoted = True
        elif ch == ".":
            parts.append(current)
            current = ""
        else:
            current += ch.upper()
        i += 1
    parts.append(current)
    return parts


def patch_stage_not_a_table() -> None:
    """`FROM '@…'` is a stage, not an unqualified table needing a current schema (fakesnow took the
    quoted form for one and refused the COPY in a session without a current schema)."""
    original = fakesnow.checks._missing_qualifiers

    def _missing_qualifiers(table: exp.Table) -> tuple[bool, bool]:
        if isinstance(table, exp.Table) and isinstance(table.this, exp.Literal) and table.this.name.startswith("@"):
            return False, False
        return original(table)

    fakesnow.checks._missing_qualifiers = _missing_qualifiers
