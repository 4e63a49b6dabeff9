"""Settings: SNOWBATCH_* environment variables fill what is not given explicitly; bad values are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from snowbatch.settings import Settings


def test_environment_variables_fill_fields_not_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SNOWBATCH_HOME", str(tmp_path))
    monkeypatch.setenv("SNOWBATCH_READ_ONLY", "true")
    monkeypatch.setenv("snowbatch_confirmation_ttl_seconds", "60")  # any case, as pydantic-settings read it
    settings = Settings()
    assert (settings.home, settings.read_only, settings.confirmation_ttl_seconds) == (tmp_path, True, 60)


def test_an_explicit_value_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWBATCH_READ_ONLY", "true")
    monkeypatch.setenv("SNOWBATCH_BACKEND", "snowflake")
    settings = Settings(read_only=False, backend="local")
    assert (settings.read_only, settings.backend) == (False, "local")


def test_secrets_from_the_environment_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWBATCH_PASSWORD", "hunter2")
    settings = Settings()
    assert settings.password is not None and settings.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SNOWBATCH_BACKEND", "oracle"),
        ("SNOWBATCH_CONFIRMATION_TTL_SECONDS", "5"),
        ("SNOWBATCH_READ_ONLY", "maybe"),
    ],
)
def test_a_bad_value_in_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


def test_unrelated_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWBATCH_NOT_A_SETTING", "x")
    assert not hasattr(Settings(), "not_a_setting")
