"""Named stages of the local account: a folder of files plus a small metadata file (encryption type)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from snowbatch.backends.local.account import LocalAccount, decode_name, read_json, write_json_atomic
from snowbatch.core.errors import Conflict, InvalidRequest, NotFound, did_you_mean
from snowbatch.core.file_patterns import extension_counts
from snowbatch.core.names import ObjectName, SchemaName, StageLocation
from snowbatch.core.records import Encryption, FileListing, StageFile, StageInfo

EVIDENCE = "local account metadata"


def compile_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """LIST PATTERN semantics: a regular expression that must match the whole path."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidRequest(
            f"The pattern {pattern!r} is not a valid regular expression ({exc}).",
            "Use a regular expression such as '.*\\.wav' (it must match the whole path).",
        ) from exc


class LocalStages:
    def __init__(self, account: LocalAccount) -> None:
        self.account = account

    def list_stages(self, schema: SchemaName) -> list[StageInfo]:
        folder = self.account.stages_dir(schema)
        if not folder.is_dir():
            return []
        infos = []
        for meta in sorted(folder.glob("*.json")):
            stage = ObjectName(decode_name(meta.stem), schema.schema, schema.database)
            infos.append(self._info(stage, read_json(meta)))
        return infos

    def describe(self, stage: ObjectName) -> StageInfo:
        meta = self.account.stage_meta(stage)
        if not meta.is_file():
            assert stage.database is not None and stage.schema is not None
            known = [s.name for s in self.list_stages(SchemaName(stage.database, stage.schema))]
            raise NotFound(
                f"Stage {stage} does not exist.{did_you_mean(str(stage), known)}",
                "Check the name, or create an SSE stage with create_stage.",
            )
        return self._info(stage, read_json(meta))

    def _info(self, stage: ObjectName, meta: dict[str, str]) -> StageInfo:
        encryption: Encryption = meta.get("encryption", "UNKNOWN")  # type: ignore[assignment]
        return StageInfo(
            name=str(stage),
            kind="INTERNAL",
            encryption=encryption,
            encryption_evidence=EVIDENCE,
            comment=meta.get("comment"),
        )

    def create(
        self,
        stage: ObjectName,
        *,
        encryption: Encryption = "SNOWFLAKE_SSE",
        comment: str | None = None,
        if_not_exists: bool = True,
    ) -> StageInfo:
        meta = self.account.stage_meta(stage)
        if meta.exists():
            existing = self.describe(stage)
            if not if_not_exists or existing.encryption != encryption:
                raise Conflict(
                    f"Stage {stage} already exists with encryption {existing.encryption}.",
                    "Use it as it is, or choose another name (a stage's encryption cannot be changed).",
                )
            return existing
        self.account.stage_dir(stage).mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            meta,
            {
                "encryption": encryption,
                "comment": comment,
                "created_on": datetime.now(timezone.utc).isoformat(),
            },
        )
        return self.describe(stage)

    def files(self, location: StageLocation, *, pattern: str | None = None) -> list[tuple[str, Path]]:
        """(path relative to the stage root, local file) under a location, sorted, hidden files skipped."""
        self.describe(location.stage)
        root = self.account.stage_dir(location.stage)
        target = self.account.location_path(location)
        regex = compile_pattern(pattern)
        if target.is_file():
            candidates = [target]
        elif target.is_dir():
            candidates = [p for p in target.rglob("*") if p.is_file()]
        else:  # a prefix that is not a folder: Snowflake lists paths that start with it
            parent = target.parent if target.parent.is_dir() else None
            candidates = (
                [p for p in parent.iterdir() if p.is_file() and p.name.startswith(target.name)]
                if parent
                else []
            )
        out = []
        for path in candidates:
            rel = path.relative_to(root).as_posix()
            if any(part.startswith(".") for part in rel.split("/")):
                continue
            if regex is not None and not regex.fullmatch(rel):
                continue
            out.append((rel, path))
        return sorted(out)

    def list_files(self, location: StageLocation, *, pattern: str | None, limit: int) -> FileListing:
        found = self.files(location, pattern=pattern)
        total = 0
        shown: list[StageFile] = []
        for rel, path in found:
            stat = path.stat()
            total += stat.st_size
            if len(shown) < limit:
                shown.append(
                    StageFile(
                        path=str(StageLocation(location.stage, rel)),
                        size=stat.st_size,
                        last_modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                    )
                )
        return FileListing(
            location=str(location),
            count=len(found),
            total_bytes=total,
            extensions=extension_counts([rel for rel, _ in found]),
            files=shown,
            truncated=len(found) > len(shown),
        )

    def put(self, sources: list[Path], location: StageLocation, *, overwrite: bool = False) -> list[str]:
        """Copy local files onto the stage (as PUT with AUTO_COMPRESS=FALSE: bytes unchanged)."""
        self.describe(location.stage)
        folder = self.account.location_path(location.as_directory())
        folder.mkdir(parents=True, exist_ok=True)
        placed = []
        for src in sources:
            dest = folder / src.name
            if dest.exists() and not overwrite:
                relative = dest.relative_to(self.account.stage_dir(location.stage)).as_posix()
                raise Conflict(
                    f"{StageLocation(location.stage, relative)} already exists.",
                    "Pass --overwrite to replace it, or put the file under another path.",
                )
            shutil.copyfile(src, dest)
            placed.append(str(location.as_directory().child(src.name)))
        return placed

    def local_path(self, stage_path: str) -> Path:
        """The local file behind a full stage path such as @ML.PUBLIC.MEDIA/a.wav."""
        loc = StageLocation.parse(stage_path)
        if not loc.stage.is_qualified:
            raise InvalidRequest(
                f"{stage_path} is not a fully qualified stage path.", "Write it as @DB.SCHEMA.STAGE/path."
            )
        return self.account.location_path(loc)
