"""Stages: SHOW STAGES (with the encryption it implies), CREATE STAGE … SNOWFLAKE_SSE, LIST."""

from __future__ import annotations

from typing import Any, cast

from snowbatch.backends.snowflake.session import SessionProvider
from snowbatch.core.errors import Conflict, NotFound, did_you_mean
from snowbatch.core.file_patterns import extension_counts
from snowbatch.core.names import ObjectName, SchemaName, StageLocation, sql_string
from snowbatch.core.records import Encryption, FileListing, StageFile, StageInfo

# No documented column states a stage's encryption; SHOW STAGES `type` distinguishes them in practice.
_ENCRYPTION = {
    "INTERNAL NO CSE": (
        "SNOWFLAKE_SSE",
        "SHOW STAGES type 'INTERNAL NO CSE' (UNVERIFIED)",
    ),
    "INTERNAL": (
        "SNOWFLAKE_FULL",
        "SHOW STAGES type 'INTERNAL' (UNVERIFIED)",
    ),
    "EXTERNAL": ("EXTERNAL", "SHOW STAGES type 'EXTERNAL'"),
}
STAGE_GRANT = "READ and WRITE on the stage, and USAGE on its database and schema."


def stage_info(row: dict[str, Any], schema: SchemaName) -> StageInfo:
    kind = str(row.get("type") or "").upper()
    encryption, evidence = _ENCRYPTION.get(
        kind, ("UNKNOWN", f"SHOW STAGES type {kind!r} is not one snowbatch knows")
    )
    name = ObjectName.parse(f"{schema}.{_quote(str(row['name']))}")
    return StageInfo(
        name=str(name),
        kind="EXTERNAL" if kind == "EXTERNAL" else "INTERNAL",
        encryption=cast(Encryption, encryption),
        encryption_evidence=evidence,
        comment=row.get("comment") or None,
        url=row.get("url") or None,
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Stages:
    def __init__(self, sessions: SessionProvider) -> None:
        self._s = sessions

    def list_stages(self, schema: SchemaName) -> list[StageInfo]:
        rows = self._s.rows(
            f"SHOW STAGES IN SCHEMA {schema.sql}",
            context=f"Listing stages in {schema}",
            grant_hint="USAGE on the database and schema.",
        )
        return [stage_info(r, schema) for r in rows]

    def describe_stage(self, stage: ObjectName) -> StageInfo:
        assert stage.database and stage.schema, "qualify the stage first"
        schema = SchemaName(stage.database, stage.schema)
        infos = {s.name: s for s in self.list_stages(schema)}
        found = infos.get(str(stage))
        if found is None:
            names = [ObjectName.parse(n).name.name for n in infos]
            raise NotFound(
                f"Stage {stage} was not found.{did_you_mean(stage.name.name, names)}",
                "Call list_stages, or create_stage to make a SNOWFLAKE_SSE stage for the output.",
            )
        return found

    def create_stage(self, stage: ObjectName, *, comment: str | None) -> StageInfo:
        comment_sql = f" COMMENT = {sql_string(comment)}" if comment else ""
        try:
            self._s.rows(
                f"CREATE STAGE {stage.sql} ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE'){comment_sql}",
                context=f"Creating stage {stage}",
                grant_hint="CREATE STAGE on the schema.",
            )
        except Conflict:
            raise Conflict(
                f"Stage {stage} already exists.",
                "Use it if list_stages reports SNOWFLAKE_SSE; otherwise pick a new name — an "
                "existing stage's encryption cannot be changed.",
            ) from None
        return StageInfo(
            name=str(stage),
            encryption="SNOWFLAKE_SSE",
            encryption_evidence="created by snowbatch with ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE')",
            comment=comment,
        )

    def list_rows(self, location: StageLocation, pattern: str | None = None) -> list[dict[str, Any]]:
        pattern_sql = f" PATTERN = {sql_string(pattern)}" if pattern else ""
        return self._s.rows(
            f"LIST {location.sql}{pattern_sql}", context=f"Listing {location}", grant_hint=STAGE_GRANT
        )

    def list_stage_files(self, location: StageLocation, *, pattern: str | None, limit: int) -> FileListing:
        rows = self.list_rows(location, pattern)
        # LIST names an external stage's files by their cloud URL: the stage's own URL is cut off them.
        url = self.describe_stage(location.stage).url if any("://" in str(r["name"]) for r in rows) else None
        files = [to_stage_file(location, r, url) for r in rows]
        return FileListing(
            location=str(location),
            count=len(files),
            total_bytes=sum(f.size for f in files),
            extensions=extension_counts([f.path for f in files]),
            files=files[:limit],
            truncated=len(files) > limit,
        )


def relative_path(name: str, stage_url: str | None = None) -> str:
    """A LIST name as a path inside its stage.

    Internal stages are listed as `<stage name, lower-case>/<path>`, external ones by cloud URL
    (snowflake-ml 2.6 `snowflake/ml/utils/stage_file.py` reads both). For a URL the stage's own URL
    (SHOW STAGES `url`) is cut off; without it, scheme and bucket are, as snowflake-ml does.
    """
    if "://" in name:
        if stage_url and name.startswith(stage_url.rstrip("/") + "/"):
            return name[len(stage_url.rstrip("/")) + 1 :]
        after_scheme = name.split("://", 1)[1]
        return after_scheme.split("/", 1)[1] if "/" in after_scheme else after_scheme
    return name.split("/", 1)[1] if "/" in name else name


def to_stage_file(location: StageLocation, row: dict[str, Any], stage_url: str | None = None) -> StageFile:
    from email.utils import parsedate_to_datetime

    stamp = row.get("last_modified")
    try:
        modified = parsedate_to_datetime(stamp) if isinstance(stamp, str) else stamp
    except (TypeError, ValueError):
        modified = None
    return StageFile(
        path=f"@{location.stage}/{relative_path(str(row['name']), stage_url)}",
        size=int(row.get("size") or 0),
        last_modified=modified,
    )
