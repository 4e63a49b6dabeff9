"""Where the Snowflake connection comes from, and that no secret ever leaves in text."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from snowbatch.backends.snowflake.config import resolve_connection
from snowbatch.backends.snowflake.doctor import run_doctor
from snowbatch.backends.snowflake.session import SessionProvider, is_auth_expired
from snowbatch.core.errors import SnowbatchError
from snowbatch.settings import Settings

PASSWORD = "hunter2-very-secret-pw"
PASSPHRASE = "key-passphrase-42!"
TOKEN = "spcs-oauth-token-abcdef"


def settings(tmp_path: Path, **kw) -> Settings:
    return Settings(backend="snowflake", home=tmp_path, **kw)


def test_a_connection_name_is_left_to_the_connector(tmp_path):
    config = resolve_connection(
        settings(tmp_path, connection_name="dev"), env={}, token_file=tmp_path / "none"
    )
    assert config.options["connection_name"] == "dev"
    assert '"origin":"snowbatch"' in config.options["session_parameters"]["QUERY_TAG"]


def test_default_connection_name_from_the_environment(tmp_path):
    env = {"SNOWFLAKE_DEFAULT_CONNECTION_NAME": "prod", "SNOWFLAKE_ACCOUNT": "ignored"}
    config = resolve_connection(settings(tmp_path), env=env, token_file=tmp_path / "none")
    assert config.options["connection_name"] == "prod" and "account" not in config.options


def test_generic_environment_variables_with_key_pair(tmp_path):
    env = {
        "SNOWFLAKE_ACCOUNT": "org-acct",
        "SNOWFLAKE_USER": "SVC",
        "SNOWFLAKE_ROLE": "ML",
        "SNOWFLAKE_WAREHOUSE": "WH",
        "SNOWFLAKE_DATABASE": "ML",
        "SNOWFLAKE_SCHEMA": "PUBLIC",
        "SNOWFLAKE_PRIVATE_KEY_FILE": "/keys/rsa.p8",
        "SNOWFLAKE_PRIVATE_KEY_FILE_PWD": PASSPHRASE,
    }
    config = resolve_connection(settings(tmp_path), env=env, token_file=tmp_path / "none")
    assert config.options["authenticator"] == "SNOWFLAKE_JWT"
    assert config.options["private_key_file"] == "/keys/rsa.p8"
    assert config.options["private_key_file_pwd"] == PASSPHRASE
    assert (config.options["role"], config.options["warehouse"]) == ("ML", "WH")
    assert config.source == "SNOWFLAKE_* environment variables"


def test_a_pat_is_sent_as_the_password(tmp_path):
    env = {"SNOWFLAKE_ACCOUNT": "org-acct", "SNOWFLAKE_USER": "SVC", "SNOWFLAKE_PAT": PASSWORD}
    assert (
        resolve_connection(settings(tmp_path), env=env, token_file=tmp_path / "none").options["password"]
        == PASSWORD
    )


def test_inside_spcs_the_token_file_is_used(tmp_path):
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    env = {
        "SNOWFLAKE_HOST": "acct.snowflakecomputing.com",
        "SNOWFLAKE_ACCOUNT": "ACCT",
        "SNOWFLAKE_DATABASE": "ML",
    }
    config = resolve_connection(settings(tmp_path), env=env, token_file=token)
    assert config.options["authenticator"] == "oauth" and config.options["token"] == TOKEN
    assert config.options["host"] == "acct.snowflakecomputing.com" and config.options["database"] == "ML"


def test_secrets_never_appear_in_repr_or_redacted_form(tmp_path):
    env = {"SNOWFLAKE_ACCOUNT": "a", "SNOWFLAKE_USER": "u", "SNOWFLAKE_PASSWORD": PASSWORD}
    config = resolve_connection(
        settings(tmp_path, private_key_passphrase=SecretStr(PASSPHRASE)),
        env=env,
        token_file=tmp_path / "none",
    )
    shown = repr(config) + str(config.redacted())
    assert PASSWORD not in shown and PASSPHRASE not in shown
    assert set(config.secrets()) == {PASSWORD, PASSPHRASE}


def test_a_failed_connection_error_and_log_carry_no_secret(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "org-acct")
    monkeypatch.setenv("SNOWFLAKE_USER", "svc")
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", PASSWORD)
    monkeypatch.delenv("SNOWFLAKE_DEFAULT_CONNECTION_NAME", raising=False)

    class Builder:
        def configs(self, options):
            raise RuntimeError(f"250001: login failed for password={options['password']}")

    import snowflake.snowpark

    monkeypatch.setattr(snowflake.snowpark.Session, "builder", Builder())
    caplog.set_level(logging.DEBUG)
    provider = SessionProvider(settings(tmp_path))
    with pytest.raises(SnowbatchError) as err:
        provider.rows("SELECT 1")
    text = str(err.value) + caplog.text + repr(err.value.__cause__) + repr(err.value.__context__)
    assert "***" in str(err.value) and PASSWORD not in text
    assert "doctor" in err.value.next_step


def test_doctor_reports_a_failed_connection_without_secrets(tmp_path, monkeypatch):
    def broken():
        raise SnowbatchError(f"no route (pw {PASSWORD})".replace(PASSWORD, "***"), "configure it")

    findings = run_doctor(settings(tmp_path), session_factory=broken)
    assert [f.check for f in findings] == ["connection"] and not findings[0].ok
    assert PASSWORD not in str(findings)


def test_doctor_over_the_fake_account(tmp_path):
    from tests.fakes import standard_account

    account = standard_account(tmp_path / "acct")
    account.deny("grant:CREATE SERVICE SCHEMA ML.PUBLIC", "")
    findings = {f.check: f for f in run_doctor(settings(tmp_path), session_factory=account.session)}
    assert findings["connection"].ok and findings["warehouse"].ok and findings["compute pools"].ok
    missing = findings["CREATE SERVICE on schema"]
    assert (
        not missing.ok
        and missing.fix
        == "Ask an administrator: GRANT CREATE SERVICE ON SCHEMA ML.PUBLIC TO ROLE ML_ENGINEER;"
    )


def test_auth_expiry_is_recognised_by_error_code():
    from snowflake.connector.errors import ProgrammingError

    assert is_auth_expired(ProgrammingError(msg="expired", errno=390114, send_telemetry=False))
    assert not is_auth_expired(ProgrammingError(msg="syntax", errno=1003, send_telemetry=False))


def test_importing_the_backend_imports_no_heavy_module():
    code = (
        "import sys; import snowbatch.backends.snowflake; "
        "bad = [m for m in sys.modules if m.startswith(('snowflake.', 'pandas', 'pyarrow'))]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "server")},
    )
    assert out.stdout.strip() == "[]"
