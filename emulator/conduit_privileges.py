"""Roles and privileges as Snowflake enforces them, for the statements Conduit and its grant script run.

fakesnow has no access control: every session may do anything. Here a session runs as a role once
one is asked for (the login's role or the user's DEFAULT_ROLE, or USE ROLE); a session without a
role stays all-powerful, as before. Roles are created, granted to users and to other roles, and
granted privileges on databases, schemas, tables and stages (also future tables of a schema); the
role that creates an object owns it. Before a restricted session's statement runs, `authorize`
checks what Snowflake checks and raises Snowflake's error; after it succeeded, the returned effect
records what changed (a new owner, a dropped object's grants, grants following a SWAP or RENAME).
Each rule, and the Snowflake documentation it follows, is listed in docs/snowflake-emulator.md.

Names are compared as Snowflake resolves them (unquoted upper-cased, quoted kept), always through
`conduit_ddl._ident` and `conduit_ddl.resolve`, so identifier handling lives in one place.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp

import conduit_ddl
import conduit_stage_names
from conduit_ddl import GLOBAL_EXT, SnowflakeError, TableName
from conduit_users import Users

# Roles that hold every privilege; a session without a role behaves as ACCOUNTADMIN.
SYSTEM_ROLES = ("ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "ORGADMIN")
PUBLIC = "PUBLIC"

# What may be granted on each kind of object (ALL expands to these; OWNERSHIP implies them).
GRANTABLE: dict[str, frozenset[str]] = {
    "DATABASE": frozenset({"USAGE", "CREATE SCHEMA", "MONITOR", "MODIFY", "CREATE DATABASE ROLE"}),
    "SCHEMA": frozenset(
        {
            "USAGE",
            "CREATE TABLE",
            "CREATE STAGE",
            "CREATE VIEW",
            "CREATE FILE FORMAT",
            "CREATE SEQUENCE",
            "CREATE FUNCTION",
            "CREATE PROCEDURE",
            "MONITOR",
            "MODIFY",
        }
    ),
    "TABLE": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "EVOLVE SCHEMA"}),
    "STAGE": frozenset({"USAGE", "READ", "WRITE"}),
    "WAREHOUSE": frozenset({"USAGE", "OPERATE", "MONITOR", "MODIFY"}),
}

_PART = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_NAME = rf"{_PART}(?:\s*\.\s*{_PART})*"
_KINDS = r"DATABASE|SCHEMA|TABLE|STAGE|WAREHOUSE|FUTURE\s+TABLES\s+IN\s+SCHEMA"
GRANT_PRIVILEGES = re.compile(
    rf"^\s*(?P<verb>GRANT|REVOKE)\s+(?P<privileges>[A-Za-z ,]+?)\s+ON\s+(?P<kind>{_KINDS})\s+(?P<name>{_NAME})"
    rf"\s+(?:TO|FROM)\s+ROLE\s+(?P<role>{_PART})(?:\s+(?:COPY|REVOKE)\s+CURRENT\s+GRANTS)?"
    r"(?:\s+WITH\s+GRANT\s+OPTION)?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
GRANT_ROLE = re.compile(
    rf"^\s*(?P<verb>GRANT|REVOKE)\s+ROLE\s+(?P<role>{_PART})\s+(?:TO|FROM)\s+(?P<kind>USER|ROLE)\s+(?P<grantee>{_PART})"
    r"\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
CREATE_ROLE = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?ROLE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<role>{_PART})"
    r"(?:\s+COMMENT\s*=\s*'(?:[^']|'')*')?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
DROP_ROLE = re.compile(rf"^\s*DROP\s+ROLE\s+(?P<exists>IF\s+EXISTS\s+)?(?P<role>{_PART})\s*;?\s*$", re.IGNORECASE)
USE_ROLE = re.compile(rf"^\s*USE\s+ROLE\s+(?P<role>{_PART})\s*;?\s*$", re.IGNORECASE)
CURRENT_ROLE = re.compile(r'^\s*SELECT\s+CURRENT_ROLE\(\)(?:\s+AS\s+(?P<alias>"[^"]+"|\w+))?\s*;?\s*$', re.IGNORECASE)
ADMIN_ONLY = re.compile(
    r"^\s*(?:CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:USER|ROLE|DATABASE|WAREHOUSE)\b", re.IGNORECASE
)

Effect = Callable[[], None]
ObjectKey = tuple[str, tuple[str, ...]]  # ("TABLE", (database, schema, name)), ("SCHEMA", (database, schema)), …


def name_parts(text: str) -> tuple[str, ...]:
    """A dotted name as Snowflake resolves it (the one place names from statement text are normalised)."""
    table = exp.to_table(text, dialect="snowflake")
    parts = [table.args.get("catalog"), table.args.get("db"), table.this]
    return tuple(conduit_ddl._ident(p) or "" for p in parts if p is not None)


def role_name(text: str) -> str:
    return name_parts(text)[0]


def display(parts: Iterable[str]) -> str:
    return ".".join(TableName._display_part(p) for p in parts)


def not_authorized(kind: str, parts: tuple[str, ...]) -> SnowflakeError:
    label = {"DATABASE": "Database", "SCHEMA": "Schema", "STAGE": "Stage"}.get(kind, "Object")
    sqlstate = "42S02" if label == "Object" else "02000"
    return SnowflakeError(
        f"SQL compilation error:\n{label} '{display(parts)}' does not exist or not authorized.", 2003, sqlstate
    )


def insufficient(kind: str, name: str) -> SnowflakeError:
    """Snowflake's answer when the role may see the object but lacks the privilege the statement needs."""
    return SnowflakeError(
        f"SQL access control error:\nInsufficient privileges to operate on {kind.lower()} '{name}'", 3001, "42501"
    )


@dataclass
class Grants:
    roles: set[str] = field(default_factory=lambda: {PUBLIC, *SYSTEM_ROLES})
    user_roles: dict[str, set[str]] = field(default_factory=dict)
    role_roles: dict[str, set[str]] = field(default_factory=dict)  # role -> roles granted to it
    owners: dict[ObjectKey, str] = field(default_factory=dict)
    privileges: dict[ObjectKey, dict[str, set[str]]] = field(default_factory=dict)  # object -> role -> privileges
    future_tables: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)


class Privileges:
    def __init__(self, users: Users) -> None:
        self.users = users
        self.grants = Grants()
        self.session_roles: dict[str, str | None] = {}
        self.session_users: dict[str, str] = {}
        self._admin_sessions: set[str] = set()  # sessions that logged in without a role
        self._lock = threading.RLock()

    # --- sessions -------------------------------------------------------------------------------

    def login_role(self, login_name: object, requested: str | None) -> str | None:
        """The role a new session runs as: None (unrestricted) unless one is asked for or is the user's default."""
        user = Users.login_key(login_name) if isinstance(login_name, str) else ""
        written = requested or self.users.default_role(user)
        role = role_name(written) if written else None
        if role is None or role in SYSTEM_ROLES:
            return None
        if role != PUBLIC and role not in self.user_roles(user):
            raise SnowflakeError(
                f"Role '{role}' specified in the connect string is not granted to this user. Contact your local "
                "system administrator, or attempt to login with another role, e.g. PUBLIC.",
                390189,
                "08004",
            )
        return role

    def start_session(self, token: str, login_name: object, role: str | None) -> None:
        self.session_users[token] = Users.login_key(login_name) if isinstance(login_name, str) else ""
        self.session_roles[token] = role
        if role is None:
            self._admin_sessions.add(token)

    def end_session(self, token: str) -> None:
        self.session_roles.pop(token, None)
        self.session_users.pop(token, None)
        self._admin_sessions.discard(token)

    def role_of(self, token: str | None) -> str | None:
        return self.session_roles.get(token or "")

    def user_roles(self, user: str) -> set[str]:
        return self._closure(self.grants.user_roles.get(user, set()))

    def _closure(self, roles: Iterable[str]) -> set[str]:
        found: set[str] = set()
        pending = list(roles)
        while pending:
            role = pending.pop()
            if role not in found:
                found.add(role)
                pending.extend(self.grants.role_roles.get(role, set()))
        return found

    def _effective(self, role: str) -> set[str]:
        return self._closure({role, PUBLIC})

    # --- statements about roles and grants --------------------------------------------------------

    def run(self, sql_text: str, conn: Any, token: str | None) -> str | None:
        """Runs role and grant statements (and USE ROLE); None when the statement is none of those."""
        role = self.role_of(token)
        if match := USE_ROLE.match(sql_text):
            return self._use_role(token or "", role_name(match["role"]))
        statement = next(
            (m for m in (p.match(sql_text) for p in (CREATE_ROLE, DROP_ROLE, GRANT_ROLE, GRANT_PRIVILEGES)) if m), None
        )
        if statement is None:
            if role is not None and ADMIN_ONLY.match(sql_text):
                raise insufficient("account", "CONDUIT")
            return None
        with self._lock:
            if statement.re is GRANT_PRIVILEGES:
                return self._grant_privileges(statement, conn, role)
            if role is not None:
                raise insufficient("account", "CONDUIT")
            if statement.re is CREATE_ROLE:
                return self._create_role(statement)
            if statement.re is DROP_ROLE:
                return self._drop_role(statement)
            return self._grant_role(statement)

    def current_role(self, sql_text: str, token: str | None) -> tuple[str, str] | None:
        """`SELECT CURRENT_ROLE() [AS alias]` as (column name, role); None for any other statement."""
        match = CURRENT_ROLE.match(sql_text)
        if match is None:
            return None
        alias = match["alias"] or "CURRENT_ROLE()"
        return alias.strip('"'), self.role_of(token) or "ACCOUNTADMIN"

    def _use_role(self, token: str, role: str) -> str:
        # A session that logged in without a role may take any role; others only roles granted to the user.
        admin = token in self._admin_sessions
        granted = role == PUBLIC or role in self.user_roles(self.session_users.get(token, ""))
        if not (granted or (admin and (role in self.grants.roles))):
            raise SnowflakeError(
                f"SQL access control error:\nRequested role '{role}' is not assigned to the executing user. "
                "Specify another role to activate.",
                3013,
                "42501",
            )
        self.session_roles[token] = None if role in SYSTEM_ROLES else role
        return "Statement executed successfully."

    def _create_role(self, match: re.Match[str]) -> str:
        role = role_name(match["role"])
        if role in self.grants.roles and not match["replace"]:
            if match["exists"]:
                return f"{role} already exists, statement succeeded."
            raise SnowflakeError(f"SQL compilation error:\nObject '{role}' already exists.", 2002, "42710")
        self.grants.roles.add(role)
        return f"Role {role} successfully created."

    def _drop_role(self, match: re.Match[str]) -> str:
        role = role_name(match["role"])
        if role not in self.grants.roles or role in (PUBLIC, *SYSTEM_ROLES):
            if match["exists"] and role not in (PUBLIC, *SYSTEM_ROLES):
                return "Drop statement executed successfully (role already dropped)."
            raise self._missing_role(role)
        self.grants.roles.discard(role)
        for held in (*self.grants.user_roles.values(), *self.grants.role_roles.values()):
            held.discard(role)
        for by_role in (*self.grants.privileges.values(), *self.grants.future_tables.values()):
            by_role.pop(role, None)
        return f"{role} successfully dropped."

    def _grant_role(self, match: re.Match[str]) -> str:
        role = role_name(match["role"])
        if role not in self.grants.roles:
            raise self._missing_role(role)
        grantee_kind = match["kind"].upper()
        if grantee_kind == "USER":
            grantee = Users.login_key(match["grantee"])
            if not self.users.exists(grantee):
                raise SnowflakeError(
                    f"SQL compilation error:\nUser '{grantee}' does not exist or not authorized.", 2003, "02000"
                )
            held = self.grants.user_roles.setdefault(grantee, set())
        else:
            grantee = role_name(match["grantee"])
            if grantee not in self.grants.roles:
                raise self._missing_role(grantee)
            held = self.grants.role_roles.setdefault(grantee, set())
        if match["verb"].upper() == "GRANT":
            held.add(role)
        else:
            held.discard(role)
        return "Statement executed successfully."

    def _grant_privileges(self, match: re.Match[str], conn: Any, acting: str | None) -> str:
        grantee = role_name(match["role"])
        if grantee not in self.grants.roles:
            raise self._missing_role(grantee)
        kind = " ".join(match["kind"].upper().split())
        future = kind.startswith("FUTURE")
        object_kind = "SCHEMA" if future else kind
        parts = self._object_parts(object_kind, name_parts(match["name"]), conn)
        if object_kind != "WAREHOUSE" and not object_exists(conn, object_kind, parts):
            raise not_authorized(object_kind, parts)
        granted_kind = "TABLE" if future else kind
        requested = {" ".join(p.upper().split()) for p in match["privileges"].split(",")}
        privileges = self._expand(requested, granted_kind)
        if acting is not None and (future or self.owner((object_kind, parts)) not in self._effective(acting)):
            raise insufficient(object_kind, parts[-1])
        revoke = match["verb"].upper() == "REVOKE"
        if privileges == {"OWNERSHIP"}:
            if revoke:
                raise SnowflakeError(
                    "SQL compilation error:\nOWNERSHIP cannot be revoked; grant it to another role.", 3111, "42000"
                )
            self.grants.owners[(object_kind, parts)] = grantee
            return "Statement executed successfully."
        table = (
            self.grants.future_tables.setdefault(parts, {})
            if future
            else self.grants.privileges.setdefault((object_kind, parts), {})
        )
        held = table.setdefault(grantee, set())
        if revoke:
            held.difference_update(privileges)
        else:
            held.update(privileges)
        return "Statement executed successfully."

    @staticmethod
    def _expand(requested: set[str], kind: str) -> set[str]:
        grantable = GRANTABLE[kind]
        if requested & {"ALL", "ALL PRIVILEGES"}:
            return set(grantable)
        if requested == {"OWNERSHIP"}:
            return requested
        invalid = sorted(requested - grantable)
        if invalid:
            raise SnowflakeError(
                f"SQL compilation error:\nInvalid privilege {', '.join(invalid)} for object type {kind}.", 3011, "42601"
            )
        return requested

    @staticmethod
    def _missing_role(role: str) -> SnowflakeError:
        return SnowflakeError(f"SQL compilation error:\nRole '{role}' does not exist or not authorized.", 2003, "02000")

    @staticmethod
    def _object_parts(kind: str, parts: tuple[str, ...], conn: Any) -> tuple[str, ...]:
        """Completes a partial name with the session's database and schema."""
        size = {"DATABASE": 1, "WAREHOUSE": 1, "SCHEMA": 2}.get(kind, 3)
        defaults = (conn.database or "", conn.schema or "")
        return (*defaults[: size - len(parts)], *parts) if len(parts) < size else parts

    # --- what a role holds ------------------------------------------------------------------------

    def owner(self, key: ObjectKey) -> str:
        return self.grants.owners.get(key, "ACCOUNTADMIN")

    def _held(self, key: ObjectKey, roles: set[str]) -> set[str] | None:
        """The privileges the roles hold on the object; None when they own it (they hold all)."""
        if self.owner(key) in roles:
            return None
        held: set[str] = set()
        for role, privileges in self.grants.privileges.get(key, {}).items():
            if role in roles:
                held |= privileges
        return held

    def _require(self, roles: set[str], kind: str, parts: tuple[str, ...], privilege: str | None) -> None:
        """USAGE on the database and schema that hold the object, then `privilege` on the object itself.
        An object the role holds nothing on "does not exist or not authorized"; one it can see but lacks
        the privilege on gives "Insufficient privileges" (docs: Overview of access control)."""
        scopes = [("DATABASE", parts[:1])] + ([("SCHEMA", parts[:2])] if len(parts) >= 2 else [])
        for container, scope in scopes:
            if (container, scope) == (kind, parts) and privilege is None:
                continue
            held = self._held((container, scope), roles)
            if held is not None and "USAGE" not in held:
                raise not_authorized(container, scope)
        if privilege is None or (privilege == "USAGE" and kind in ("DATABASE", "SCHEMA")):
            return
        held = self._held((kind, parts), roles)
        if held is None or privilege in held:
            return
        if not held and kind in ("TABLE", "STAGE"):
            raise not_authorized(kind, parts)
        raise insufficient(kind, parts[-1])

    # --- enforcement ------------------------------------------------------------------------------

    def authorize(self, conn: Any, token: str | None, expression: exp.Expr) -> Effect | None:
        """Raises Snowflake's error when the session's role may not run the statement; returns what to
        record once it succeeded (for every session, restricted or not)."""
        role = self.role_of(token)
        roles = self._effective(role) if role is not None else None
        with self._lock:
            effect = _Check(self, conn, None if roles is None or roles & set(SYSTEM_ROLES) else roles).statement(
                expression
            )
        owner = role or "ACCOUNTADMIN"
        if effect is None:
            return None

        def apply() -> None:
            with self._lock:
                effect(owner)

        return apply

    def created(self, key: ObjectKey, owner: str) -> None:
        self.forget(key)
        self.grants.owners[key] = owner
        if key[0] == "TABLE":
            for role, privileges in self.grants.future_tables.get(key[1][:2], {}).items():
                self.grants.privileges.setdefault(key, {}).setdefault(role, set()).update(privileges)

    def forget(self, key: ObjectKey) -> None:
        self.grants.owners.pop(key, None)
        self.grants.privileges.pop(key, None)

    def move(self, renames: dict[ObjectKey, ObjectKey]) -> None:
        """Grants and ownership belong to the object, so they follow it to its new name."""
        moved = {
            new: (self.grants.owners.pop(old, None), self.grants.privileges.pop(old, None))
            for old, new in renames.items()
        }
        for new, (owner, privileges) in moved.items():
            if owner is not None:
                self.grants.owners[new] = owner
            if privileges is not None:
                self.grants.privileges[new] = privileges


class _Check:
    """The privileges one statement needs; `roles` None means an unrestricted session (nothing is checked)."""

    def __init__(self, privileges: Privileges, conn: Any, roles: set[str] | None) -> None:
        self.p = privileges
        self.conn = conn
        self.roles = roles

    def need(self, kind: str, parts: tuple[str, ...], privilege: str | None) -> None:
        if self.roles is not None:
            self.p._require(self.roles, kind, parts, privilege)

    def table(self, table: exp.Table) -> tuple[str, ...]:
        name = conduit_ddl.resolve(table, self.conn)
        return (name.catalog, name.schema, name.name)

    def schema(self, table: exp.Table) -> tuple[str, ...]:
        # CREATE/DROP SCHEMA name the schema as db(.catalog); USE SCHEMA as this(.db)
        if table.this is not None and not table.args.get("catalog") and isinstance(table.this, exp.Identifier):
            schema, database = table.this, table.args.get("db")
        else:
            schema, database = table.args.get("db"), table.args.get("catalog")
        return (conduit_ddl._ident(database) or self.conn.database or "", conduit_ddl._ident(schema) or "")

    def stage(self, reference: str) -> tuple[str, ...]:
        """`@db.schema.stage/path/` (or the whole reference in single quotes) as the stage's name parts."""
        text = conduit_stage_names.stage_reference(reference).lstrip("@")
        match = re.match(_NAME, text)
        parts = name_parts(match.group(0) if match else text)
        return Privileges._object_parts("STAGE", parts, self.conn)

    def statement(self, expression: exp.Expr) -> Callable[[str], None] | None:
        kind = (expression.args.get("kind") or "").upper() if isinstance(expression.args.get("kind"), str) else ""
        written: list[exp.Table] = []
        effect: Callable[[str], None] | None = None
        if isinstance(expression, exp.Create):
            effect = self.create(expression, kind, written)
        elif isinstance(expression, exp.Drop):
            effect = self.drop(expression, kind, written)
        elif isinstance(expression, exp.Alter) and kind == "TABLE":
            effect = self.alter_table(expression, written)
        elif isinstance(expression, (exp.Insert, exp.Copy)):
            target = expression.this.this if isinstance(expression.this, exp.Schema) else expression.this
            if isinstance(target, exp.Table) and isinstance(target.this, exp.Identifier):
                written.append(target)
                self.need("TABLE", self.table(target), "INSERT")
        elif isinstance(expression, (exp.Delete, exp.Update)):
            written.append(expression.this)
            privilege = "DELETE" if isinstance(expression, exp.Delete) else "UPDATE"
            self.need("TABLE", self.table(expression.this), privilege)
        elif isinstance(expression, exp.TruncateTable):
            for table in expression.expressions:
                written.append(table)
                self.need("TABLE", self.table(table), "TRUNCATE")
        elif isinstance(expression, exp.Merge):
            written.append(expression.this)
            for action in merge_actions(expression):
                self.need("TABLE", self.table(expression.this), action)
        elif isinstance(expression, exp.Put):
            self.need("STAGE", self.stage(expression.args["target"].name), "WRITE")
        elif isinstance(expression, exp.Use) and isinstance(expression.this, exp.Table):
            written.append(expression.this)  # names a database or schema, not a table read
            use_kind = expression.args.get("kind")
            if use_kind is not None and use_kind.name.upper() == "SCHEMA":
                self.need("SCHEMA", self.schema(expression.this), "USAGE")
            elif use_kind is not None and use_kind.name.upper() == "DATABASE":
                self.need("DATABASE", (conduit_ddl._ident(expression.this.this) or "",), "USAGE")
        elif isinstance(expression, exp.Show):
            scope = expression.args.get("scope")
            if isinstance(scope, exp.Table):
                written.append(scope)
            if isinstance(scope, exp.Table) and (expression.args.get("scope_kind") or "").upper() == "SCHEMA":
                self.need("SCHEMA", self.schema(scope), "USAGE")
        self.reads(expression, written)
        return effect

    def create(self, expression: exp.Create, kind: str, written: list[exp.Table]) -> Callable[[str], None] | None:
        target = expression.this.this if isinstance(expression.this, exp.Schema) else expression.this
        if not isinstance(target, exp.Table):
            return None
        if kind == "SCHEMA":
            parts = self.schema(target)
            written.append(target)
            # Snowflake checks CREATE SCHEMA even when IF NOT EXISTS finds the schema (docs: CREATE SCHEMA)
            self.need("DATABASE", parts[:1], "CREATE SCHEMA")
            return self._creation(expression, "SCHEMA", parts)
        if kind == "DATABASE":
            if self.roles is not None:
                raise insufficient("account", "CONDUIT")
            return self._creation(expression, "DATABASE", (conduit_ddl._ident(target.this) or "",))
        if kind not in ("TABLE", "STAGE", "VIEW"):
            return None
        parts = self.table(target)
        written.append(target)
        self.need("SCHEMA", parts[:2], f"CREATE {kind}")
        return self._creation(expression, "TABLE" if kind == "VIEW" else kind, parts)

    def _creation(self, expression: exp.Create, kind: str, parts: tuple[str, ...]) -> Callable[[str], None]:
        existed = object_exists(self.conn, kind, parts)
        if existed and expression.args.get("replace"):
            self.need(kind, parts, "OWNERSHIP")
        key = (kind, parts)
        if existed and not expression.args.get("replace"):
            return lambda _owner: None
        return lambda owner: self.p.created(key, owner)

    def drop(self, expression: exp.Drop, kind: str, written: list[exp.Table]) -> Callable[[str], None] | None:
        if kind not in ("TABLE", "STAGE", "SCHEMA", "VIEW"):
            return None
        keys: list[ObjectKey] = []
        for table in expression.args.get("tables") or ([expression.this] if expression.this else []):
            if not isinstance(table, exp.Table):
                continue
            written.append(table)
            object_kind = "TABLE" if kind == "VIEW" else kind
            parts = self.schema(table) if kind == "SCHEMA" else self.table(table)
            if object_exists(self.conn, object_kind, parts):
                self.need(object_kind, parts, "OWNERSHIP")
            else:
                self.need(object_kind, parts, None)
            keys.append((object_kind, parts))

        def forget(_owner: str) -> None:
            for key in keys:
                self.p.forget(key)

        return forget

    def alter_table(self, expression: exp.Alter, written: list[exp.Table]) -> Callable[[str], None] | None:
        source = expression.this
        if not isinstance(source, exp.Table):
            return None
        written.append(source)
        parts = self.table(source)
        if expression.args.get("exists") and not object_exists(self.conn, "TABLE", parts):
            return None
        # ALTER TABLE needs OWNERSHIP; SWAP WITH needs it on both tables (docs: ALTER TABLE)
        self.need("TABLE", parts, "OWNERSHIP")
        actions = expression.args.get("actions") or []
        action = actions[0] if len(actions) == 1 else None
        if isinstance(action, (exp.SwapTable, exp.AlterRename)) and isinstance(action.this, exp.Table):
            other = self.table(action.this)
            written.append(action.this)
            if isinstance(action, exp.SwapTable):
                self.need("TABLE", other, "OWNERSHIP")
                swap = {("TABLE", parts): ("TABLE", other), ("TABLE", other): ("TABLE", parts)}
                return lambda _owner: self.p.move(swap)
            return lambda _owner: self.p.move({("TABLE", parts): ("TABLE", other)})
        return None

    def reads(self, expression: exp.Expr, written: list[exp.Table]) -> None:
        """SELECT on every other table the statement reads; READ on stages it loads from; USAGE on
        the database of INFORMATION_SCHEMA views."""
        if self.roles is None:
            return
        skip = {id(t) for t in written}
        ctes = {cte.alias_or_name.upper() for cte in expression.find_all(exp.CTE)}
        for table in expression.find_all(exp.Table):
            if id(table) in skip:
                continue
            # A stage read from: `@name`, or a quoted `'@"db"."schema"."name"'` (a literal).
            if isinstance(table.this, (exp.Var, exp.Literal)) and table.this.name.startswith("@"):
                self.need("STAGE", self.stage(table.this.name), "READ")
                continue
            if not isinstance(table.this, exp.Identifier):
                continue
            if not table.args.get("db") and table.name.upper() in ctes:
                continue
            parts = self.table(table)
            if parts[1].upper() == "INFORMATION_SCHEMA":
                self.need("DATABASE", parts[:1], "USAGE")
            else:
                self.need("TABLE", parts, "SELECT")


def merge_actions(expression: exp.Merge) -> list[str]:
    whens = expression.args.get("whens")
    actions: list[str] = []
    for when in whens.expressions if whens is not None else []:
        then = when.args.get("then")
        if isinstance(then, exp.Insert):
            actions.append("INSERT")
        elif isinstance(then, exp.Update):
            actions.append("UPDATE")
        elif then is not None and then.name.upper() == "DELETE":
            actions.append("DELETE")
    return actions


def object_exists(conn: Any, kind: str, parts: tuple[str, ...]) -> bool:
    duck: duckdb.DuckDBPyConnection = conn._duck_conn
    if kind == "TABLE":
        return conduit_ddl.table_exists(duck, TableName(*parts))
    if kind == "STAGE":
        query = f"SELECT 1 FROM {GLOBAL_EXT}._fs_stages WHERE database_name = ? AND schema_name = ? AND name = ?"
    elif kind == "SCHEMA":
        query = "SELECT 1 FROM duckdb_schemas() WHERE lower(database_name) = lower(?) AND lower(schema_name) = lower(?)"
    elif kind == "DATABASE":
        query = "SELECT 1 FROM duckdb_databases() WHERE lower(database_name) = lower(?)"
    else:
        return True
    return duck.execute(query, list(parts)).fetchone() is not None
