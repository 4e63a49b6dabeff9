"""Where the Snowflake connection comes from, decided the way Snowflake's own tools decide it.

Order: inside a Snowpark Container Services job (token file + SNOWFLAKE_HOST) the OAuth token file;
else a connection *name* (settings or SNOWFLAKE_DEFAULT_CONNECTION_NAME) that the connector itself reads
from connections.toml / config.toml (honouring SNOWFLAKE_HOME and SNOWFLAKE_CONNECTIONS); else
generic SNOWFLAKE_* variables when SNOWFLAKE_ACCOUNT is set; else the connector's default connection.
Pure: no Snowflake import, so it is cheap to call and easy to test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from snowbatch.settings import SPCS_TOKEN_FILE, Settings

SECRET_KEYS = frozenset({"password", "token", "private_key_file_pwd", "private_key", "passcode"})
# SNOWFLAKE_<X> variable -> connector keyword; the first variable present wins for each keyword.
_ENV_KEYS: list[tuple[str, str]] = [
    ("SNOWFLAKE_ACCOUNT", "account"),
    ("SNOWFLAKE_HOST", "host"),
    ("SNOWFLAKE_USER", "user"),
    ("SNOWFLAKE_PASSWORD", "password"),
    ("SNOWFLAKE_PAT", "password"),  # a PAT is accepted where a password is (as Snowflake's MCP server does)
    ("SNOWFLAKE_AUTHENTICATOR", "authenticator"),
    ("SNOWFLAKE_PRIVATE_KEY_FILE", "private_key_file"),
    ("SNOWFLAKE_PRIVATE_KEY_PATH", "private_key_file"),
    ("SNOWFLAKE_PRIVATE_KEY_FILE_PWD", "private_key_file_pwd"),
    ("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "private_key_file_pwd"),
    ("SNOWFLAKE_ROLE", "role"),
    ("SNOWFLAKE_WAREHOUSE", "warehouse"),
    ("SNOWFLAKE_DATABASE", "database"),
    ("SNOWFLAKE_SCHEMA", "schema"),
]


def query_tag() -> str:
    from snowbatch import __version__

    return json.dumps({"origin": "snowbatch", "version": __version__}, separators=(",", ":"))


@dataclass(frozen=True)
class ConnectionConfig:
    """Keyword arguments for `Session.builder.configs(...)`, and where they came from."""

    source: str
    options: dict[str, Any] = field(repr=False)
    # Secrets present in the environment or settings but not used for this connection (a PAT beside a
    # password): a driver error or a log line may still quote them, so they are scrubbed too.
    unused_secrets: tuple[str, ...] = field(default=(), repr=False)

    def secrets(self) -> list[str]:
        """The secret values in play, so they can be scrubbed from any text that leaves the process."""
        used = [str(v) for k, v in self.options.items() if k in SECRET_KEYS and v]
        return used + [s for s in self.unused_secrets if s not in used]

    def redacted(self) -> dict[str, Any]:
        """The options as they may be shown: secrets replaced, the token file only named."""
        return {
            k: ("***" if k in SECRET_KEYS else v)
            for k, v in self.options.items()
            if k != "session_parameters"
        }

    def __repr__(self) -> str:
        return f"ConnectionConfig(source={self.source!r}, options={self.redacted()!r})"


def resolve_connection(
    settings: Settings, env: Mapping[str, str] | None = None, token_file: Path = SPCS_TOKEN_FILE
) -> ConnectionConfig:
    env = os.environ if env is None else env
    config = _resolve(settings, env, token_file)
    return replace(config, unused_secrets=tuple(_all_secrets(settings, env)))


def _all_secrets(settings: Settings, env: Mapping[str, str]) -> list[str]:
    values = [env.get(var, "") for var, key in _ENV_KEYS if key in SECRET_KEYS]
    values += [env.get("SNOWBATCH_PASSWORD", ""), env.get("SNOWBATCH_PRIVATE_KEY_PASSPHRASE", "")]
    for secret in (settings.password, settings.private_key_passphrase):
        if secret is not None:
            values.append(secret.get_secret_value())
    return [v for v in dict.fromkeys(values) if v]


def _resolve(settings: Settings, env: Mapping[str, str], token_file: Path) -> ConnectionConfig:
    session_parameters = {"QUERY_TAG": query_tag()}
    if token_file.is_file() and env.get("SNOWFLAKE_HOST") and not settings.connection_name:
        # Re-read at every (re)connection: SPCS rotates the token (rotation period UNVERIFIED).
        options: dict[str, Any] = {
            "host": env["SNOWFLAKE_HOST"],
            "account": env.get("SNOWFLAKE_ACCOUNT", ""),
            "authenticator": "oauth",
            "token": token_file.read_text().strip(),
        }
        for var, key in (
            ("SNOWFLAKE_DATABASE", "database"),
            ("SNOWFLAKE_SCHEMA", "schema"),
            ("SNOWFLAKE_WAREHOUSE", "warehouse"),
            ("SNOWFLAKE_ROLE", "role"),
        ):
            if env.get(var):
                options[key] = env[var]
        return ConnectionConfig(
            f"SPCS OAuth token file {token_file}", {**options, "session_parameters": session_parameters}
        )

    name = settings.connection_name or env.get("SNOWFLAKE_DEFAULT_CONNECTION_NAME")
    if name or not env.get("SNOWFLAKE_ACCOUNT"):
        options = {"connection_name": name} if name else {}
        _add_settings_secrets(options, settings)
        source = (
            f"connection {name!r} from connections.toml" if name else "the connector's default connection"
        )
        return ConnectionConfig(source, {**options, "session_parameters": session_parameters})

    options = {}
    for var, key in _ENV_KEYS:
        if env.get(var) and key not in options:
            options[key] = env[var]
    if "private_key_file" in options and "authenticator" not in options:
        options["authenticator"] = "SNOWFLAKE_JWT"
    _add_settings_secrets(options, settings)
    return ConnectionConfig(
        "SNOWFLAKE_* environment variables", {**options, "session_parameters": session_parameters}
    )


def _add_settings_secrets(options: dict[str, Any], settings: Settings) -> None:
    if settings.password is not None:
        options["password"] = settings.password.get_secret_value()
    if settings.private_key_passphrase is not None:
        options["private_key_file_pwd"] = settings.private_key_passphrase.get_secret_value()


def scrub(text: str, secrets: list[str]) -> str:
    """Replace every secret value (and its longer fragments) in `text` with ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
