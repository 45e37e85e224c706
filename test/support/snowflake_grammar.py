"""Checks Snowflake statements against sqlglot's `snowflake` grammar and Snowflake's documented limits.

Reads a JSON list of {"name": ..., "sql": ...} on stdin; writes a JSON list of {"name", "problems"}.
Run with the emulator's venv (sqlglot comes with fakesnow). Limits, from Snowflake's docs:
identifiers 1-255 characters; NUMBER precision 1-38, scale 0-37 and <= precision; VARCHAR 1 to
134,217,728; BINARY 1 to 67,108,864; TIME/TIMESTAMP fractional precision 0-9; at most 1,000 FILES
in a COPY. PUT/COPY stage locations must be one single-quoted '@…' string (PUT docs: names with
spaces or special characters); that rule is ours, sqlglot does not check it.
"""

from __future__ import annotations

import json
import sys

import sqlglot
from sqlglot import exp

MAX_IDENTIFIER = 255
MAX_VARCHAR = 134_217_728
MAX_BINARY = 67_108_864


def size(datatype: exp.DataType, at: int) -> int | None:
    params = datatype.expressions
    if len(params) <= at:
        return None
    value = params[at].this
    return int(value.this if isinstance(value, exp.Literal) else value.name)


def type_problems(datatype: exp.DataType) -> list[str]:
    kind = datatype.this
    T = exp.DataType.Type
    first = size(datatype, 0)
    if kind == T.DECIMAL and first is not None:
        scale = size(datatype, 1) or 0
        if not (1 <= first <= 38 and 0 <= scale <= 37 and scale <= first):
            return [f"NUMBER({first},{scale}) outside precision 1-38, scale 0-37 (<= precision)"]
    if kind in (T.VARCHAR, T.CHAR, T.TEXT) and first is not None and not 1 <= first <= MAX_VARCHAR:
        return [f"VARCHAR({first}) outside 1-{MAX_VARCHAR}"]
    if kind in (T.BINARY, T.VARBINARY) and first is not None and not 1 <= first <= MAX_BINARY:
        return [f"BINARY({first}) outside 1-{MAX_BINARY}"]
    fractional = (T.TIME, T.TIMESTAMP, T.TIMESTAMPNTZ, T.TIMESTAMPTZ, T.TIMESTAMPLTZ)
    if kind in fractional and first is not None and not 0 <= first <= 9:
        return [f"{kind.value}({first}) outside fractional precision 0-9"]
    return []


def stage_location_problems(node: exp.Expr | None, statement: str) -> list[str]:
    if isinstance(node, exp.Var):
        text = node.this
    elif isinstance(node, exp.Literal) and node.is_string:
        text = f"'{node.this}'"
    else:
        return [f"{statement}: no stage location found"]
    if not (text.startswith("'@") and text.endswith("'")):
        return [f"{statement}: the stage location {text} is not one single-quoted '@…' string"]
    return []


def check(sql: str) -> list[str]:
    try:
        statements = sqlglot.parse(sql, read="snowflake")
    except sqlglot.errors.ParseError as e:
        return [f"does not parse: {e}"]
    if len(statements) != 1 or statements[0] is None:
        return [f"expected one statement, got {len(statements)}"]
    tree = statements[0]
    if isinstance(tree, exp.Command):
        return [f"sqlglot fell back to an unparsed command ({tree.name})"]
    problems: list[str] = []
    for identifier in tree.find_all(exp.Identifier):
        if not 1 <= len(identifier.this) <= MAX_IDENTIFIER:
            problems.append(f"identifier of {len(identifier.this)} characters: {identifier.this[:40]}…")
    for datatype in tree.find_all(exp.DataType):
        problems.extend(type_problems(datatype))
    if isinstance(tree, exp.Put):
        problems.extend(stage_location_problems(tree.args.get("target"), "PUT"))
        if not (isinstance(tree.this, exp.Literal) and tree.this.this.startswith("file://")):
            problems.append("PUT: the local file is not a quoted file:// URI")
    if isinstance(tree, exp.Copy):
        source = tree.args["files"][0].this
        if isinstance(source, exp.Select):
            source = source.args["from_"].this.this
        problems.extend(stage_location_problems(source, "COPY"))
        for param in tree.args.get("params") or []:
            if param.name.upper() == "FILES" and len(param.expression.expressions) > 1000:
                problems.append("COPY: more than 1,000 FILES")
    return problems


def main() -> None:
    cases = json.load(sys.stdin)
    json.dump([{"name": c["name"], "problems": check(c["sql"])} for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
