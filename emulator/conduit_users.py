"""Password logins as Snowflake checks them (fakesnow accepts any user and password).

With no user registered every login is accepted, as fakesnow does. Once the emulator starts with
`--user NAME --password PW`, or a client runs `CREATE USER name PASSWORD = '...'`, a login must
name a registered user with its password, or it gets Snowflake's answer to a wrong password
(390100), so a client's handling of refused credentials can be tested. User names are
case-insensitive at login, as Snowflake's login names are. `CREATE USER … DEFAULT_ROLE = R` records
the role a session of that user runs as when its login names none (conduit_privileges).
"""

from __future__ import annotations

import re

from conduit_ddl import SnowflakeError

_NAME = r'(?P<name>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_ROLE = r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*'
CREATE_USER = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?USER\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?{_NAME}"
    r"\s+PASSWORD\s*=\s*'(?P<password>(?:[^'\\]|''|\\.)*)'"
    rf"(?:\s+DEFAULT_ROLE\s*=\s*(?P<role>{_ROLE}))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
DROP_USER = re.compile(rf"^\s*DROP\s+USER\s+(?P<exists>IF\s+EXISTS\s+)?{_NAME}\s*;?\s*$", re.IGNORECASE | re.DOTALL)

# What Snowflake answers a login with a wrong user name or password (HTTP 200, success false).
WRONG_CREDENTIALS = {
    "data": {"nextAction": "RETRY_LOGIN", "authnMethod": "USERNAME_PASSWORD"},
    "code": "390100",
    "message": "Incorrect username or password was specified.",
    "success": False,
}


def _unquote_password(text: str) -> str:
    return re.sub(r"''|\\(.)", lambda m: "'" if m.group(0) == "''" else m.group(1), text)


class Users:
    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}
        self._default_roles: dict[str, str] = {}

    @staticmethod
    def login_key(name: str) -> str:
        if name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        return name.upper()

    def exists(self, key: str) -> bool:
        """Whether GRANT … TO USER may name this user: any name while no user is registered."""
        return not self._passwords or key in self._passwords

    def default_role(self, key: str) -> str | None:
        """The DEFAULT_ROLE given at CREATE USER, as written (a session runs as it when the login names none)."""
        return self._default_roles.get(key)

    def add(self, name: str, password: str) -> None:
        self._passwords[self.login_key(name)] = password

    def accepts(self, login_name: object, password: object) -> bool:
        if not self._passwords:
            return True
        if not isinstance(login_name, str) or not isinstance(password, str):
            return False
        return self._passwords.get(self.login_key(login_name)) == password

    def run(self, sql_text: str) -> str | None:
        """Runs CREATE USER … PASSWORD / DROP USER; None when the statement is neither."""
        created = CREATE_USER.match(sql_text)
        if created:
            key = self.login_key(created["name"])
            if key in self._passwords and not created["replace"]:
                if created["exists"]:
                    return f"{key} already exists, statement succeeded."
                raise SnowflakeError(f"SQL compilation error:\nObject '{key}' already exists.", 2002, "42710")
            self._passwords[key] = _unquote_password(created["password"])
            self._default_roles.pop(key, None)
            if created["role"]:
                self._default_roles[key] = created["role"]
            return f"User {key} successfully created."
        dropped = DROP_USER.match(sql_text)
        if dropped:
            key = self.login_key(dropped["name"])
            self._default_roles.pop(key, None)
            if self._passwords.pop(key, None) is None and not dropped["exists"]:
                raise SnowflakeError(
                    f"SQL compilation error:\nUser '{key}' does not exist or not authorized.", 2003, "02000"
                )
            return f"{key} successfully dropped."
        return None
