"""Expected values computed outside the server: the packaged model loaded with snowflake-ml's
ModelPackager as its native object (not the custom-model wrapper the job runner uses) and called on the
same rows, and the job's Parquet files read straight from the local account's folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_output(home: Path, location: str) -> Any:
    """All Parquet parts under a job's output location, as one DataFrame (read from disk, not via tools)."""
    import pandas as pd

    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.core.names import StageLocation

    folder = LocalAccount(home).location_path(StageLocation.parse(location))
    parts = sorted(folder.rglob("*.parquet"))
    if not parts:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def read_table(home: Path, table: str) -> Any:
    """A table of the local account as a DataFrame (read from its DuckDB file, not via tools)."""
    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.backends.local.tables import LocalTables
    from snowbatch.core.names import ObjectName

    name = ObjectName.parse(table)
    assert name.database is not None and name.schema is not None
    with LocalTables(LocalAccount(home)).connect(name.database) as con:
        return con.execute(f"SELECT * FROM {name.schema.sql}.{name.name.sql}").df()


def key_problems(actual: Any, keys: Any, key: str = "CUSTOMER_ID") -> list[str]:
    """Problems (empty when `actual` holds each of `keys` exactly once and no other key)."""
    if key not in actual.columns:
        return [f"no {key} column: {list(actual.columns)}"]
    got = actual[key].astype("int64")
    wanted = {int(k) for k in keys}
    problems = []
    doubled = sorted(set(got[got.duplicated()]))
    if doubled:
        problems.append(f"{len(doubled)} {key}s more than once, e.g. {doubled[:3]}")
    extra = sorted(set(got) - wanted)
    if extra:
        problems.append(f"{len(extra)} {key}s not expected, e.g. {extra[:3]}")
    missing = sorted(wanted - set(got))
    if missing:
        problems.append(f"{len(missing)} {key}s missing, e.g. {missing[:3]}")
    return problems


def native_model(home: Path, model: str, version: str) -> Any:
    from snowflake.ml.model._packager.model_packager import ModelPackager

    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.core.names import Identifier, ObjectName

    vdir = LocalAccount(home).version_dir(ObjectName.parse(model), Identifier(version))
    packager = ModelPackager(str(vdir))
    packager.load(as_custom_model=False)
    return packager.model


def tabular_expected(home: Path, model: str, version: str, method: str, rows: int) -> Any:
    """The model's outputs on samples.customers_frame(rows), keyed by CUSTOMER_ID, named as the signature
    names unnamed outputs (output_feature_0, …)."""
    import numpy as np
    import pandas as pd

    from snowbatch import samples

    frame = samples.customers_frame(rows).drop(columns=["CHURNED"])
    est = native_model(home, model, version)
    features = list(getattr(est, "feature_names_in_", samples.CHURN_FEATURES))
    out = np.asarray(getattr(est, method)(frame[features]))
    out = out.reshape(len(frame), -1)
    expected = pd.DataFrame({f"output_feature_{i}": out[:, i] for i in range(out.shape[1])})
    expected.insert(0, "CUSTOMER_ID", frame["CUSTOMER_ID"].to_numpy())
    return expected


def compare_tabular(actual: Any, expected: Any, key: str = "CUSTOMER_ID", rtol: float = 1e-6) -> list[str]:
    """Problems (empty when every expected value is there and equal within tolerance)."""
    import numpy as np

    problems = []
    if key not in actual.columns:
        return [f"results have no {key} column: {list(actual.columns)}"]
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} result rows, expected {len(expected)}")
    merged = expected.merge(actual, on=key, how="left", suffixes=("_expected", ""))
    for col in [c for c in expected.columns if c != key]:
        if col not in actual.columns:
            problems.append(f"missing output column {col}")
            continue
        got = merged[col].to_numpy(dtype=float)
        want = merged[f"{col}_expected"].to_numpy(dtype=float)
        bad = ~np.isclose(got, want, rtol=rtol, atol=1e-9, equal_nan=False)
        if bad.any():
            i = int(np.argmax(bad))
            problems.append(
                f"{col}: {int(bad.sum())} of {len(bad)} values differ, e.g. {key}="
                f"{merged[key].iloc[i]}: {got[i]!r} != {want[i]!r}"
            )
    return problems


def files_expected(home: Path, location: str, pattern: str | None) -> dict[str, dict[str, Any]]:
    """Per staged file: its size and the format its magic bytes say (read from the stage folder)."""
    import re

    from snowbatch.backends.local.account import LocalAccount
    from snowbatch.core.names import StageLocation

    folder = LocalAccount(home).location_path(StageLocation.parse(location))
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(folder).as_posix()
        if pattern and not re.fullmatch(pattern, rel) and not re.fullmatch(pattern, path.name):
            continue
        data = path.read_bytes()
        import hashlib

        out[path.name] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "format": _magic(data),
        }
    return out


def _magic(data: bytes) -> str:
    for prefix, name in (
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"GIF8", "gif"),
        (b"RIFF", "wav"),
        (b"BM", "bmp"),
    ):
        if data.startswith(prefix):
            return name
    return "unknown"
