"""ASGI middleware between the Node snowflake-sdk and fakesnow's Starlette app.

What it changes on the wire (each item is in docs/snowflake-emulator.md):

- query results: Arrow (`rowsetBase64`) becomes Snowflake's JSON rowset (conduit_rowset), and
  `returned`, `total`, `version` and the output-format parameters the SDK reads are filled in;
- errors: an HTTP 500 from fakesnow (an unsupported statement) becomes an immediate
  `{success: false, code, message}` answer; the SDK would retry a 500 for minutes;
- login: CLIENT_STAGE_ARRAY_BINDING_THRESHOLD gets Snowflake's default instead of fakesnow's 0;
  passwords are checked once users are registered, and CREATE/DROP USER … PASSWORD register them
  (conduit_users);
- roles and privileges: CREATE ROLE, GRANT/REVOKE, USE ROLE and the login's role run here, and a
  session with a role is checked as Snowflake checks it before its statement runs (conduit_privileges);
- DDL: `ALTER TABLE .. SWAP WITH` and `ALTER TABLE .. RENAME TO` (qualified names) run here, and
  CREATE/DROP/TRUNCATE TABLE keep comments and load history with the table object (conduit_ddl);
- COPY INTO: files skipped by load metadata are not listed, as in Snowflake;
- PUT: stage uploads use GCS-style token URLs on this server, honouring OVERWRITE, and the
  `/fs_bucket` routes answer HEAD/GET/PUT for those files (streamed to disk);
- statements of one session run one at a time (fakesnow's DuckDB connection refuses overlap);
- query history: every statement is recorded with its QUERY_TAG, and SELECTs over
  INFORMATION_SCHEMA.QUERY_HISTORY[_BY_SESSION]() are answered from it (conduit_query_history);
- `/telemetry/send` is accepted and ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gzip
import hashlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode

import duckdb
import fakesnow.server
import fakesnow.transforms.stage
import snowflake.connector.errors
from fakesnow.dialect import parse_one
from fakesnow.statement_type import statement_type_id
from sqlglot import exp
from starlette.concurrency import run_in_threadpool

import conduit_ddl
import conduit_identifiers
import conduit_parameters
import conduit_query_history
import conduit_strict
from conduit_ddl import SnowflakeError, TableName
from conduit_privileges import Privileges
from conduit_rowset import decode_arrow_rowset
from conduit_users import WRONG_CREDENTIALS, Users

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("conduit.emulator")

# Output-format parameters Snowflake sends with every result (its defaults); the SDK formats
# dates, times and binaries from them and falls back to nothing sensible without them.
DEFAULT_RESULT_PARAMETERS: dict[str, Any] = {
    "TIMEZONE": "Etc/UTC",
    "DATE_OUTPUT_FORMAT": "YYYY-MM-DD",
    "TIME_OUTPUT_FORMAT": "HH24:MI:SS",
    "TIMESTAMP_OUTPUT_FORMAT": "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM",
    "TIMESTAMP_NTZ_OUTPUT_FORMAT": "YYYY-MM-DD HH24:MI:SS.FF3",
    "TIMESTAMP_LTZ_OUTPUT_FORMAT": "",
    "TIMESTAMP_TZ_OUTPUT_FORMAT": "",
    "BINARY_OUTPUT_FORMAT": "HEX",
    "CLIENT_RESULT_CHUNK_SIZE": 160,
}
# Session parameters a client may set at login that change how the SDK reads results.
ECHOED_SESSION_PARAMETERS = {"JS_TREAT_INTEGER_AS_BIGINT", *DEFAULT_RESULT_PARAMETERS}
SNOWFLAKE_ARRAY_BINDING_THRESHOLD = 65280

UNSUPPORTED_CODE = "002140"  # Snowflake's "unsupported feature" code

# fakesnow logs the exception behind a 500 without putting it in the response; keep it per request
_request_failure: contextvars.ContextVar[dict[str, BaseException] | None] = contextvars.ContextVar(
    "conduit_request_failure", default=None
)


class _CaptureFailure(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        holder = _request_failure.get()
        if holder is not None and record.exc_info and record.exc_info[1] is not None:
            holder["error"] = record.exc_info[1]


class ReadWriteLock:
    """Statements share it; DDL that rewrites fakesnow's metadata tables takes it alone."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._writer and self._writers_waiting == 0)
            self._readers += 1
        try:
            yield
        finally:
            async with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._cond:
            self._writers_waiting += 1
            try:
                await self._cond.wait_for(lambda: not self._writer and self._readers == 0)
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            async with self._cond:
                self._writer = False
                self._cond.notify_all()


class CapturedResponse:
    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))

    def json(self) -> Any:
        return json.loads(bytes(self.body))


class SnowflakeAdapter:
    def __init__(self, app: ASGIApp, users: Users | None = None):
        self.app = app
        self.users = users or Users()
        self.privileges = Privileges(self.users)
        self.lock = ReadWriteLock()
        self.session_parameters: dict[str, dict[str, Any]] = {}
        self.session_locks: dict[str, asyncio.Lock] = {}
        self.parameters = conduit_parameters.Parameters()
        self.history = conduit_query_history.QueryHistory()

    def install_failure_capture(self) -> None:
        """Call after uvicorn configured logging: fakesnow's logger shares uvicorn's handler list,
        which uvicorn's logging setup resets, so give it its own list with our handler added."""
        fakesnow_logger = logging.getLogger("fakesnow.server")
        fakesnow_logger.handlers = [*fakesnow_logger.handlers, _CaptureFailure()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/fs_bucket/"):
            await self.bucket(scope, receive, send)
        elif path == "/queries/v1/query-request":
            await self.query(scope, receive, send)
        elif path == "/session/v1/login-request":
            await self.login(scope, receive, send)
        elif path == "/telemetry/send":
            await respond_json(send, {"data": None, "success": True})
        elif path == "/session" and b"delete=true" in scope.get("query_string", b""):
            self.session_parameters.pop(session_token(scope) or "", None)
            self.parameters.forget(session_token(scope) or "")
            self.session_locks.pop(session_token(scope) or "", None)
            self.privileges.end_session(session_token(scope) or "")
            self.history.forget_session(session_token(scope) or "")
            await self.forward(scope, await read_body(receive), send)
        else:
            await self.forward(scope, await read_body(receive), send)

    # --- plumbing -----------------------------------------------------------------------------

    async def call_app(self, scope: Scope, body: bytes) -> CapturedResponse:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # a disconnect would come here; never needed
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        captured = CapturedResponse()
        holder: dict[str, BaseException] = {}
        token = _request_failure.set(holder)
        try:
            await self.app(scope, replay, captured.send)
        finally:
            _request_failure.reset(token)
        if captured.status >= 500:
            self._replace_server_error(captured, holder.get("error"))
        return captured

    def _replace_server_error(self, captured: CapturedResponse, error: BaseException | None) -> None:
        try:
            original = captured.json()
            message = str(original.get("message") or "")
        except (ValueError, AttributeError):
            message = bytes(captured.body).decode("utf-8", errors="replace")[:2000]
        code, sqlstate, text = classify_failure(error, message)
        captured.status = 200
        captured.headers = [(b"content-type", b"application/json")]
        captured.body = bytearray(json.dumps(error_payload(text, code, sqlstate)).encode())

    async def forward(self, scope: Scope, body: bytes, send: Send) -> None:
        captured = await self.call_app(scope, body)
        await send_captured(send, captured)

    # --- login --------------------------------------------------------------------------------

    async def login(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(receive)
        try:
            request = json.loads(decode_body(scope, raw))
        except ValueError:
            await self.forward(scope, raw, send)
            return
        credentials = request.get("data") or {}
        if not self.users.accepts(credentials.get("LOGIN_NAME"), credentials.get("PASSWORD")):
            await respond_json(send, WRONG_CREDENTIALS)
            return
        requested_role = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("roleName") or [None])[0]
        try:
            role = self.privileges.login_role(credentials.get("LOGIN_NAME"), requested_role)
        except SnowflakeError as e:
            await respond_json(send, {"data": None, "code": e.code, "message": e.message, "success": False})
            return
        # fakesnow upper-cases the login's database and schema, even quoted ones, and creates them
        # when missing; Snowflake resolves them as identifiers and creates nothing (set below)
        scope, names = without_login_names(scope)
        captured = await self.call_app(scope, raw)
        try:
            response = captured.json()
        except ValueError:
            await send_captured(send, captured)
            return
        data = response.get("data") if isinstance(response, dict) else None
        if isinstance(data, dict) and response.get("success"):
            requested = (request.get("data") or {}).get("SESSION_PARAMETERS") or {}
            token = data.get("token")
            if isinstance(token, str) and token in fakesnow.server.sessions:
                conn = fakesnow.server.sessions[token]
                data["sessionInfo"] = await run_in_threadpool(conduit_identifiers.use_login_names, conn, *names)
                await run_in_threadpool(self.parameters.login, token, str(credentials.get("LOGIN_NAME")), conn)
            if isinstance(token, str):
                self.privileges.start_session(token, credentials.get("LOGIN_NAME"), role)
                self.history.start_session(token, str(credentials.get("LOGIN_NAME") or ""))
                self.session_parameters[token] = {
                    k.upper(): v for k, v in requested.items() if k.upper() in ECHOED_SESSION_PARAMETERS
                }
                if "TIMEZONE" in self.parameters.sessions.get(token, {}):
                    self.session_parameters[token]["TIMEZONE"] = self.parameters.sessions[token]["TIMEZONE"]
            parameters = [
                p for p in data.get("parameters", []) if p.get("name") != "CLIENT_STAGE_ARRAY_BINDING_THRESHOLD"
            ]
            parameters.append(
                {"name": "CLIENT_STAGE_ARRAY_BINDING_THRESHOLD", "value": SNOWFLAKE_ARRAY_BINDING_THRESHOLD}
            )
            data["parameters"] = parameters
            data.setdefault("masterToken", data.get("token"))
            data.setdefault("validityInSeconds", 3600)
            data.setdefault("masterValidityInSeconds", 14400)
        await respond_json(send, response)

    # --- queries ------------------------------------------------------------------------------

    async def query(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(receive)
        token = session_token(scope)
        try:
            request = json.loads(decode_body(scope, raw))
            sql_text = str(request.get("sqlText") or "")
        except ValueError:
            await self.forward(scope, raw, send)
            return
        expression = parse_statement(sql_text)
        started = conduit_query_history.now()
        tag = ""
        try:
            # Snowflake runs concurrent statements of one session; fakesnow's session is one DuckDB
            # connection that refuses a second call while busy, so queue them per session.
            async with self.session_locks.setdefault(token or "", asyncio.Lock()):
                tag = self.history.statement_tag(token or "", request)
                payload = await self.query_history(token, expression)
                if payload is None:
                    payload = await self.run_statement(scope, raw, token, sql_text, expression, request)
        except SnowflakeError as e:
            payload = error_payload(e.message, e.code, e.sqlstate)
        except (snowflake.connector.errors.ProgrammingError, snowflake.connector.errors.OperationalError) as e:
            payload = error_payload(str(e.msg), f"{e.errno:06d}", e.sqlstate or "42000")
        self.history.record(token or "", sql_text, tag, started, payload)
        await respond_json(send, payload)

    async def query_history(self, token: str | None, expression: exp.Expr | None) -> Any:
        """The answer to a SELECT over INFORMATION_SCHEMA.QUERY_HISTORY[_BY_SESSION](); None for other statements."""
        conn = fakesnow.server.sessions.get(token) if token else None
        if conn is None or expression is None:
            return None
        answer = await run_in_threadpool(self.history.answer, expression, token or "")
        if answer is None:
            return None
        rowtype, rowset = answer
        payload = status_payload("", expression, conn)
        payload["data"].update(rowtype=rowtype, rowset=rowset, total=len(rowset))
        return self.finish_payload(payload, token, expression)

    async def run_statement(
        self,
        scope: Scope,
        raw: bytes,
        token: str | None,
        sql_text: str,
        expression: exp.Expr | None,
        request: dict[str, Any],
    ) -> Any:
        """Role and grant statements run here; any other statement of a session with a role first
        passes the privilege check, and what it created, dropped or moved is recorded once it succeeded."""
        conn = fakesnow.server.sessions.get(token) if token else None
        if conn is None:
            return await self.run_checked_statement(scope, raw, token, sql_text, expression, request)
        current_role = self.privileges.current_role(sql_text, token)
        if current_role is not None:
            column, role = current_role
            payload = status_payload(role, expression or exp.Command(this="SELECT"), conn)
            payload["data"]["rowtype"] = [text_column(column)]
            return self.finish(payload, token, expression)
        message = await run_in_threadpool(self.privileges.run, sql_text, conn, token)
        if message is not None:
            payload = status_payload(message, expression or exp.Command(this="GRANT"), conn)
            return self.finish(payload, token, expression)
        effect = None
        if expression is not None:
            effect = await run_in_threadpool(self.privileges.authorize, conn, token, expression)
        payload = await self.run_checked_statement(scope, raw, token, sql_text, expression, request)
        if effect is not None and isinstance(payload, dict) and payload.get("success"):
            await run_in_threadpool(effect)
        return payload

    async def run_checked_statement(
        self,
        scope: Scope,
        raw: bytes,
        token: str | None,
        sql_text: str,
        expression: exp.Expr | None,
        request: dict[str, Any],
    ) -> Any:
        conn = fakesnow.server.sessions.get(token) if token else None
        if expression is not None:
            conduit_strict.check_number_types(expression)
        if conn is not None:
            altered = self.parameters.alter_user(sql_text)
            if altered is not None:
                payload = status_payload(altered, expression or exp.Command(this="USER"), conn)
                return self.finish(payload, token, expression)
            created_or_dropped = self.users.run(sql_text)
            if created_or_dropped is not None:
                return self.finish(
                    status_payload(created_or_dropped, expression or exp.Command(this="USER"), conn), token, expression
                )
        if expression is None or conn is None or request.get("describeOnly"):
            async with self.lock.shared():
                return self.finish(await self.call_app(scope, raw), token, expression)

        if self.parameters.ignore_case(token or ""):
            expression = conduit_parameters.fold_quoted(expression)
            scope, raw = with_sql_text(scope, request, expression.sql(dialect="snowflake"))

        if not await run_in_threadpool(conduit_identifiers.check, conn, expression):
            message = "Drop statement executed successfully (the object does not exist in this case)."
            return self.finish(status_payload(message, expression, conn), token, expression)

        if isinstance(expression, exp.Alter) and (expression.args.get("kind") or "").upper() == "SESSION":
            settings = session_settings(expression)
            if settings is not None:
                if "QUERY_TAG" in settings:
                    self.history.set_session_tag(token or "", settings["QUERY_TAG"])
                self.apply_session_settings(token or "", settings)
                pinned = {k: v for k, v in settings.items() if k in conduit_parameters.PARAMETERS}
                await run_in_threadpool(self.parameters.set, token or "", conn, pinned)
                return self.finish(
                    status_payload("Statement executed successfully.", expression, conn), token, expression
                )

        if (
            isinstance(expression, exp.Create)
            and (expression.args.get("kind") or "").upper() == "DATABASE"
            and not expression.args.get("replace")
        ):
            async with self.lock.exclusive():
                message = await run_in_threadpool(conduit_identifiers.create_database, conn, expression)
            return self.finish(status_payload(message, expression, conn), token, expression)

        if (
            isinstance(expression, exp.Create)
            and (expression.args.get("kind") or "").upper() == "SCHEMA"
            and not expression.args.get("replace")
            and not expression.args.get("properties")
        ):
            message = await run_in_threadpool(conduit_identifiers.create_schema, conn, expression)
            return self.finish(status_payload(message, expression, conn), token, expression)

        if isinstance(expression, exp.Drop) and (expression.args.get("kind") or "").upper() == "STAGE":
            async with self.lock.exclusive():
                message = await run_in_threadpool(self.drop_stage, conn, expression)
            return self.finish(status_payload(message, expression, conn), token, expression)

        if isinstance(expression, exp.Alter) and (expression.args.get("kind") or "").upper() == "TABLE":
            actions = expression.args.get("actions") or []
            if len(actions) == 1 and isinstance(actions[0], (exp.SwapTable, exp.AlterRename)):
                async with self.lock.exclusive():
                    await run_in_threadpool(self.alter_table, conn, expression, actions[0])
                return self.finish(
                    status_payload("Statement executed successfully.", expression, conn), token, expression
                )

        tables = created_or_dropped_tables(expression, conn)
        if tables is not None:
            async with self.lock.exclusive():
                if (
                    isinstance(expression, exp.Create)
                    and expression.args.get("exists")
                    and tables
                    and await run_in_threadpool(conduit_ddl.table_exists, conn._duck_conn, tables[0])
                ):
                    # fakesnow would clear the existing table's load history here
                    message = f"{tables[0].name} already exists, statement succeeded."
                    return self.finish(status_payload(message, expression, conn), token, expression)
                captured = await self.call_app(scope, raw)
                payload = captured.json()
                if payload.get("success"):
                    await run_in_threadpool(self.after_table_ddl, conn, expression, tables)
                return self.finish_payload(payload, token, expression)

        async with self.lock.shared():
            captured = await self.call_app(scope, raw)
        payload = captured.json()
        if isinstance(expression, exp.Put) and payload.get("success"):
            rewrite_put(payload, expression, scope)
        elif isinstance(expression, exp.Copy) and payload.get("success"):
            drop_skipped_files(payload)
        return self.finish_payload(payload, token, expression)

    def apply_session_settings(self, token: str, settings: dict[str, Any | None]) -> None:
        echoed = self.session_parameters.setdefault(token, {})
        for name, value in settings.items():
            if name not in ECHOED_SESSION_PARAMETERS:
                continue  # QUERY_TAG is the history's (conduit_query_history); timeouts are ignored
            if value is None:
                echoed.pop(name, None)
            else:
                echoed[name] = value

    def drop_stage(self, conn: Any, expression: exp.Drop) -> str:
        tables = [t for t in expression.args.get("tables") or [] if isinstance(t, exp.Table)]
        if len(tables) != 1:
            raise SnowflakeError("SQL compilation error:\nDROP STAGE takes one stage name", 1003, "42000")
        stage = conduit_ddl.resolve(tables[0], conn)
        if not conduit_ddl.drop_stage(conn, stage):
            if expression.args.get("exists"):
                return f"Drop statement executed successfully ({stage.name} already dropped)."
            raise SnowflakeError(
                f"SQL compilation error:\nStage '{stage.display()}' does not exist or not authorized.", 2003, "02000"
            )
        return f"{stage.name} successfully dropped."

    def alter_table(self, conn: Any, expression: exp.Alter, action: exp.Expr) -> None:
        source = conduit_ddl.resolve(expression.this, conn)
        other = action.this
        if not isinstance(other, exp.Table):
            raise SnowflakeError("SQL compilation error:\nexpected a table name", 1003, "42000")
        target = conduit_ddl.resolve(other, conn)
        if isinstance(action, exp.SwapTable):
            conduit_ddl.swap_tables(conn, source, target)
        else:
            conduit_ddl.rename_table(conn, source, target, if_exists=bool(expression.args.get("exists")))

    def after_table_ddl(self, conn: Any, expression: exp.Expr, tables: list[TableName]) -> None:
        if isinstance(expression, exp.Create):
            has_comment = any(
                isinstance(p, exp.SchemaCommentProperty)
                for p in (expression.args.get("properties") or exp.Properties(expressions=[])).expressions
            )
            for table in tables:
                conduit_ddl.forget_table(conn, table, keep_comment=has_comment)
        elif isinstance(expression, exp.Drop):
            for table in tables:
                conduit_ddl.forget_table(conn, table)
        elif isinstance(expression, exp.TruncateTable):
            for table in tables:
                conduit_ddl.clear_load_history(conn, table)

    def finish(
        self, captured: CapturedResponse | dict[str, Any], token: str | None, expression: exp.Expr | None
    ) -> Any:
        payload = captured.json() if isinstance(captured, CapturedResponse) else captured
        return self.finish_payload(payload, token, expression)

    def finish_payload(self, payload: Any, token: str | None, expression: exp.Expr | None) -> Any:
        if not isinstance(payload, dict):
            return payload
        data = payload.get("data")
        if not payload.get("success") or not isinstance(data, dict):
            if isinstance(data, dict):
                data.setdefault("queryId", str(uuid.uuid4()))
            return payload
        if "stageInfo" in data:  # a PUT/GET command description, not a result
            return payload
        rowtype = data.get("rowtype") or []
        if data.get("queryResultFormat") == "arrow":
            data["rowset"] = decode_arrow_rowset(data.pop("rowsetBase64", "") or "", rowtype)
            data["queryResultFormat"] = "json"
        rowset = data.setdefault("rowset", [])
        data["returned"] = len(rowset)
        data["total"] = max(int(data.get("total") or 0), len(rowset))
        data.setdefault("version", 1)
        data["parameters"] = merge_parameters(data.get("parameters"), self.session_parameters.get(token or "", {}))
        if expression is not None and "statementTypeId" not in data:
            data["statementTypeId"] = statement_type_id(expression)
        return payload

    # --- stage files ----------------------------------------------------------------------------

    async def bucket(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = fakesnow.transforms.stage.LOCAL_BUCKET_PATH
        relative = unquote(scope["path"][len("/fs_bucket/") :])
        target = os.path.normpath(os.path.join(root, relative))
        if not target.startswith(root + os.sep):
            await respond_status(send, 400)
            return
        method = scope["method"]
        if method == "PUT":
            await self.store_upload(target, receive, send)
        elif method in ("HEAD", "GET"):
            if not os.path.isfile(target):
                await respond_status(send, 404)
                return
            size = os.path.getsize(target)
            digest = await run_in_threadpool(sha256_base64, target)
            headers = [
                (b"content-length", str(size).encode()),
                (b"x-goog-meta-sfc-digest", digest.encode()),
                (b"content-type", b"application/octet-stream"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if method == "HEAD":
                await send({"type": "http.response.body", "body": b""})
            else:
                await run_file_body(target, send)
        else:
            await respond_status(send, 405)

    async def store_upload(self, target: str, receive: Receive, send: Send) -> None:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        partial = f"{target}.{uuid.uuid4().hex}.part"
        try:
            with open(partial, "wb") as out:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ConnectionError("client went away during upload")
                    chunk = message.get("body", b"")
                    if chunk:
                        await run_in_threadpool(out.write, chunk)
                    if not message.get("more_body", False):
                        break
            os.replace(partial, target)  # readers never see a half-written stage file
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        await respond_status(send, 200)


# --- helpers ----------------------------------------------------------------------------------


def with_sql_text(scope: Scope, request: dict[str, Any], sql_text: str) -> tuple[Scope, bytes]:
    """The query request with another sqlText, sent uncompressed."""
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in (b"content-encoding", b"content-length")]
    body = json.dumps({**request, "sqlText": sql_text}).encode()
    return {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}, body


def without_login_names(scope: Scope) -> tuple[Scope, tuple[str | None, str | None]]:
    """The login request without databaseName/schemaName, and those names."""
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    names = {k: v for k, v in query if k in ("databaseName", "schemaName")}
    rest = urlencode([(k, v) for k, v in query if k not in names]).encode("latin-1")
    return {**scope, "query_string": rest}, (names.get("databaseName"), names.get("schemaName"))


def classify_failure(error: BaseException | None, fallback: str) -> tuple[str, str, str]:
    """Snowflake code, SQLSTATE and message for an exception fakesnow let through as a 500.

    DuckDB data errors become the data errors Snowflake reports for the same input; anything else
    is a statement fakesnow does not support."""
    if isinstance(error, duckdb.Error):
        text = str(error)
        if isinstance(error, duckdb.InvalidInputException) and "JSON" in text:
            return "100069", "22P02", f"Error parsing JSON: {text}"
        if isinstance(error, (duckdb.ConversionException, duckdb.InvalidInputException)):
            return "100038", "22018", text
        if isinstance(error, duckdb.OutOfRangeException):
            return "100039", "22003", text
        if isinstance(error, duckdb.ConstraintException):
            return "100072", "22000", text
    detail = f"{type(error).__name__}: {error}" if error is not None else fallback
    return UNSUPPORTED_CODE, "0A000", f"The Snowflake emulator (fakesnow) does not support this statement: {detail}"


def parse_statement(sql_text: str) -> exp.Expr | None:
    try:
        return parse_one(sql_text)
    except Exception:  # noqa: BLE001 - fakesnow reports the parse error itself
        return None


# Session parameters ALTER SESSION may set here: output formats are echoed with every result (the
# SDK formats values with them); TIMEZONE and the others of conduit_parameters are kept per session
# (TIMEZONE and QUOTED_IDENTIFIERS_IGNORE_CASE applied); the rest are accepted and have no effect.
ACCEPTED_SESSION_PARAMETERS = (
    (ECHOED_SESSION_PARAMETERS - {"JS_TREAT_INTEGER_AS_BIGINT"})
    | conduit_parameters.PARAMETERS
    | {"QUERY_TAG", "STATEMENT_TIMEOUT_IN_SECONDS", "STATEMENT_QUEUED_TIMEOUT_IN_SECONDS", "LOCK_TIMEOUT"}
)


def session_settings(expression: exp.Alter) -> dict[str, Any | None] | None:
    """`ALTER SESSION SET A = v, ...` / `UNSET A, ...` as {name: value or None}, when every
    parameter is one the adapter handles; None leaves the statement to fakesnow."""
    action = expression.find(exp.AlterSession)
    if action is None:
        return None
    unset = bool(action.args.get("unset"))
    settings: dict[str, Any | None] = {}
    for item in action.args.get("expressions") or []:
        if not isinstance(item, exp.SetItem):
            return None
        target = item.this
        if unset:
            name = target.name.upper() if isinstance(target, (exp.Identifier, exp.Column)) else ""
            value: Any | None = None
        elif isinstance(target, exp.EQ) and isinstance(target.this, (exp.Identifier, exp.Column)):
            name = target.this.name.upper()
            rhs = target.expression
            value = rhs.name if isinstance(rhs, exp.Literal) else rhs.sql(dialect="snowflake")
        else:
            return None
        if name not in ACCEPTED_SESSION_PARAMETERS:
            return None
        settings[name] = value
    return settings or None


def created_or_dropped_tables(expression: exp.Expr, conn: Any) -> list[TableName] | None:
    """The tables a CREATE TABLE / DROP TABLE / TRUNCATE creates, drops or empties; None otherwise."""
    try:
        if isinstance(expression, exp.Create) and (expression.args.get("kind") or "").upper() == "TABLE":
            table = expression.this.this if isinstance(expression.this, exp.Schema) else expression.this
            return [conduit_ddl.resolve(table, conn)] if isinstance(table, exp.Table) else []
        if isinstance(expression, exp.Drop) and (expression.args.get("kind") or "").upper() == "TABLE":
            tables = expression.args.get("tables") or ([expression.this] if expression.this else [])
            return [conduit_ddl.resolve(t, conn) for t in tables if isinstance(t, exp.Table)]
        if isinstance(expression, exp.TruncateTable):
            return [conduit_ddl.resolve(t, conn) for t in expression.expressions if isinstance(t, exp.Table)]
    except SnowflakeError:
        return None
    return None


def rewrite_put(payload: dict[str, Any], expression: exp.Put, scope: Scope) -> None:
    """Points the SDK at this server's /fs_bucket with a GCS *token* stage, which (unlike
    fakesnow's presigned URL) lets the SDK check for an existing file, and honours the PUT's
    OVERWRITE, AUTO_COMPRESS and SOURCE_COMPRESSION options as Snowflake's answer does."""
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("stageInfo"), dict):
        return
    root = fakesnow.transforms.stage.LOCAL_BUCKET_PATH
    options = put_options(expression)
    stage_dir = data["stageInfo"].get("location") or ""
    if data["stageInfo"].get("locationType") == "GCS":
        # fakesnow already rewrote it to a presigned URL: recover the local directory from it
        presigned = str(data["stageInfo"].get("presignedUrl") or "")
        marker = "/fs_bucket/"
        if marker in presigned:
            local = os.path.join(root, unquote(presigned.split(marker, 1)[1]))
            stage_dir = os.path.dirname(local) + "/"
    relative = os.path.relpath(stage_dir, root).replace(os.sep, "/").strip("/")
    host = header(scope, b"host") or "127.0.0.1"
    data["stageInfo"] = {
        "locationType": "GCS",
        "location": f"fs_bucket/{relative}/",
        "path": f"{relative}/",
        "region": "local",
        "endPoint": f"{scope.get('scheme', 'http')}://{host}",
        "useRegionalUrl": False,
        "useVirtualUrl": False,
        "isClientSideEncrypted": False,
        "creds": {"GCS_ACCESS_TOKEN": "conduit-emulator"},
    }
    data["overwrite"] = options.get("OVERWRITE", False) is True
    if "AUTO_COMPRESS" in options:
        data["autoCompress"] = options["AUTO_COMPRESS"] is True
    if "SOURCE_COMPRESSION" in options:
        data["sourceCompression"] = str(options["SOURCE_COMPRESSION"]).lower()
    data.pop("presignedUrls", None)


def put_options(expression: exp.Put) -> dict[str, Any]:
    options: dict[str, Any] = {}
    properties = expression.args.get("properties")
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.Property):
            value = prop.args.get("value")
            if isinstance(value, exp.Boolean):
                options[prop.name.upper()] = bool(value.this)
            elif value is not None:
                text = value.name
                options[prop.name.upper()] = {"TRUE": True, "FALSE": False}.get(text.upper(), text)
    return options


def drop_skipped_files(payload: dict[str, Any]) -> None:
    """Snowflake leaves files skipped by load metadata out of COPY's result, and answers a single
    'Copy executed with 0 files processed.' row when nothing was left to load."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return
    rowtype = data.get("rowtype") or []
    names = [str(c.get("name", "")).lower() for c in rowtype]
    if "status" not in names or "file" not in names:
        return
    if data.get("queryResultFormat") == "arrow":
        data["rowset"] = decode_arrow_rowset(data.pop("rowsetBase64", "") or "", rowtype)
        data["queryResultFormat"] = "json"
    status_index = names.index("status")
    rows = [row for row in data.get("rowset") or [] if row[status_index] != "LOAD_SKIPPED"]
    if rows:
        data["rowset"] = rows
        return
    data["rowtype"] = [text_column("status")]
    data["rowset"] = [["Copy executed with 0 files processed."]]
    data["total"] = 1


def text_column(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "database": "",
        "schema": "",
        "table": "",
        "nullable": True,
        "type": "text",
        "byteLength": 16777216,
        "length": 16777216,
        "scale": None,
        "precision": None,
        "collation": None,
    }


def status_payload(message: str, expression: exp.Expr, conn: Any) -> dict[str, Any]:
    return {
        "data": {
            "rowtype": [text_column("status")],
            "rowset": [[message]],
            "total": 1,
            "queryResultFormat": "json",
            "queryId": str(uuid.uuid4()),
            "statementTypeId": statement_type_id(expression),
            "finalDatabaseName": conn.database,
            "finalSchemaName": conn.schema,
        },
        "success": True,
    }


def error_payload(message: str, code: str, sqlstate: str) -> dict[str, Any]:
    return {
        "data": {"errorCode": code, "sqlState": sqlstate, "queryId": str(uuid.uuid4())},
        "code": code,
        "message": message,
        "success": False,
    }


def merge_parameters(existing: Any, session: dict[str, Any]) -> list[dict[str, Any]]:
    merged: dict[str, Any] = dict(DEFAULT_RESULT_PARAMETERS)
    if isinstance(existing, list):
        for item in existing:
            if isinstance(item, dict) and "name" in item:
                merged[str(item["name"])] = item.get("value")
    merged.update(session)
    return [{"name": k, "value": v} for k, v in merged.items()]


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def session_token(scope: Scope) -> str | None:
    auth = header(scope, b"authorization")
    prefix = 'Snowflake Token="'
    if auth and auth.startswith(prefix) and auth.endswith('"'):
        return auth[len(prefix) : -1]
    return None


def decode_body(scope: Scope, raw: bytes) -> bytes:
    return gzip.decompress(raw) if (header(scope, b"content-encoding") or "").lower() == "gzip" else raw


async def read_body(receive: Receive) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.extend(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return bytes(chunks)


async def respond_json(send: Send, payload: Any, status: int = 200) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def respond_status(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def send_captured(send: Send, captured: CapturedResponse) -> None:
    headers = [(k, v) for k, v in captured.headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(captured.body)).encode()))
    await send({"type": "http.response.start", "status": captured.status, "headers": headers})
    await send({"type": "http.response.body", "body": bytes(captured.body)})


async def run_file_body(path: str, send: Send) -> None:
    with open(path, "rb") as f:
        while True:
            chunk = await run_in_threadpool(f.read, 1024 * 1024)
            await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunk)})
            if not chunk:
                break


def sha256_base64(path: str) -> str:
    import base64

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()
