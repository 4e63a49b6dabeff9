"""Settings from SNOWBATCH_* environment variables (and CLI flags, which set the same fields).

The backend defaults to the embedded local account unless a Snowflake connection is configured, so a
newcomer with no account gets a working product and nobody with an account is silently sent to a toy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

SPCS_TOKEN_FILE = Path("/snowflake/session/token")


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("snowbatch", appauthor=False))


def snowflake_config_dir() -> Path:
    """Where the Snowflake connector looks for connections.toml (its own rule)."""
    env = os.environ.get("SNOWFLAKE_HOME")
    if env and Path(env).expanduser().is_dir():
        return Path(env).expanduser()
    legacy = Path.home() / ".snowflake"
    if legacy.is_dir():
        return legacy
    import platformdirs

    return Path(platformdirs.user_config_dir("snowflake", appauthor=False))


ENV_PREFIX = "SNOWBATCH_"


class Settings(BaseModel):
    """Each field not given explicitly is read from SNOWBATCH_<FIELD> (any case), else its default.

    A plain model rather than pydantic-settings' BaseSettings: that package costs ~8 ms of the server's
    start for the one rule above, and every assistant pays for a server's start.
    """

    model_config = ConfigDict(extra="ignore")

    backend: str = Field(
        "auto", description="auto (snowflake when a connection is configured, else local), or a backend name"
    )
    home: Path = Field(default_factory=default_home, description="the local account's folder")
    connection_name: str | None = Field(None, description="a connection in connections.toml")
    read_only: bool = Field(False, description="register no tool that spends or changes anything")
    auto_approve: bool = Field(False, description="skip confirmations; only for non-interactive automation")
    confirmation_ttl_seconds: int = Field(600, ge=30, le=3600)
    # Where a Snowflake password/PAT/passphrase is given to snowbatch directly rather than through the
    # connector's files; SecretStr keeps it out of reprs, logs and tool output.
    password: SecretStr | None = None
    private_key_passphrase: SecretStr | None = None
    # A shared server (docs/shared-server.md): streamable HTTP on anything but loopback needs one of
    # these. A static bearer token (or a file of `name token` lines), or OAuth resource-server mode.
    auth_token: SecretStr | None = Field(None, description="the bearer token HTTP clients must send")
    auth_token_file: Path | None = Field(None, description="bearer tokens, one `name token` per line")
    oauth_issuer: str | None = Field(None, description="the authorization server whose JWTs are accepted")
    oauth_jwks_url: str | None = Field(None, description="its JWKS; default: from the issuer's metadata")
    oauth_audience: str | None = Field(None, description="the tokens' aud; default: resource_url")
    oauth_scopes: str | None = Field(None, description="scopes every token must carry (space separated)")
    resource_url: str | None = Field(None, description="this server's public /mcp URL (OAuth metadata)")
    plan_ttl_seconds: int = Field(14400, ge=60, le=86400, description="how long a plan can be submitted")
    max_plans: int = Field(1000, ge=10, le=100_000, description="plans kept at most (oldest go first)")
    max_concurrent_submits: int = Field(8, ge=1, le=1000, description="gated actions at once, per client")
    max_waits_per_client: int = Field(8, ge=1, le=1000, description="wait_for_job calls at once, per client")
    audit_log: Path | None = Field(
        None, description="the audit trail (JSON Lines); default: home/audit.jsonl"
    )
    audit_table: str | None = Field(
        None, description="DB.SCHEMA.TABLE: each audit record also goes to this table (created if missing)"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, given: Any) -> Any:
        if not isinstance(given, dict):
            return given
        environment = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
        from_env = {
            name: environment[f"{ENV_PREFIX}{name.upper()}"]
            for name in cls.model_fields
            if name not in given and f"{ENV_PREFIX}{name.upper()}" in environment
        }
        return {**from_env, **given}

    @model_validator(mode="after")
    def _plans_outlive_their_tokens(self) -> Settings:
        if self.plan_ttl_seconds <= self.confirmation_ttl_seconds:
            raise ValueError("plan_ttl_seconds must be longer than confirmation_ttl_seconds")
        return self

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        from snowbatch.backends import backend_names

        if value != "auto" and value not in backend_names():
            raise ValueError(f"backend must be auto or one of {', '.join(backend_names())}")
        return value

    @property
    def audit_path(self) -> Path:
        return self.audit_log or self.home / "audit.jsonl"

    def resolved_backend(self) -> str:
        from snowbatch.backends import DEFAULT_BACKEND

        if self.backend != "auto":
            return self.backend
        return "snowflake" if snowflake_connection_configured(self.connection_name) else DEFAULT_BACKEND


def snowflake_connection_configured(connection_name: str | None) -> bool:
    """A connection counts as configured when named, given by env vars, in SPCS, or in connections.toml."""
    if connection_name or os.environ.get("SNOWFLAKE_DEFAULT_CONNECTION_NAME"):
        return True
    if os.environ.get("SNOWFLAKE_ACCOUNT") or os.environ.get("SNOWFLAKE_CONNECTIONS"):
        return True
    if SPCS_TOKEN_FILE.exists():
        return True
    return (snowflake_config_dir() / "connections.toml").is_file()
