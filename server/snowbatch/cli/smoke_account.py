"""A throwaway schema on a real account with what the smoke flow needs, dropped afterwards.

Used by `snowbatch doctor --smoke` and by the live suite (tests/live) when SNOWBATCH_LIVE_CONNECTION names
a connection. It creates, in a new schema `SNOWBATCH_SMOKE_<hex>` of the chosen database: a small
CUSTOMERS table, the sample churn model (logged with `Registry.log_model`), and, for the files job, an SSE
stage with two small files and the FILE_INSPECTOR model. It never creates a compute pool: the caller
names an existing one. On exit it runs `DROP SCHEMA … CASCADE`, which takes the job services, stages,
tables and models in it along.

None of this has run against a real account (there is none here): the statements are the documented
ones (ledger F51–F55) and the library calls are snowflake-ml's public API.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from snowbatch.cli.smoke import SmokeTarget
from snowbatch.core.names import Identifier, ObjectName, SchemaName

MEDIA_FILES = {
    "images/red.png": b"\x89PNG\r\n\x1a\nsmoke-red",
    "images/blue.jpg": b"\xff\xd8\xff\xe0smoke-blue",
}


def throwaway_schema(database: str) -> SchemaName:
    return SchemaName(
        Identifier.parse(database), Identifier(f"SNOWBATCH_SMOKE_{uuid.uuid4().hex[:8].upper()}")
    )


class SmokeAccount:
    """`with SmokeAccount(session, schema, pool) as target:` — seeded on enter, dropped on exit."""

    def __init__(
        self, session: Any, schema: SchemaName, pool: str, *, rows: int = 1, files: bool = True
    ) -> None:
        self.session = session
        self.schema = schema
        self.pool = pool
        self.rows = rows
        self.files = files

    def name(self, text: str) -> ObjectName:
        return ObjectName(Identifier(text), self.schema.schema, self.schema.database)

    def __enter__(self) -> SmokeTarget:
        s = self.session
        s.sql(f"CREATE SCHEMA {self.schema.sql}").collect()  # F51
        try:
            s.sql(f"USE SCHEMA {self.schema.sql}").collect()  # F52: unqualified names resolve here
            self._seed_table_and_model()
            if self.files:
                self._seed_files()
        except BaseException:
            self.drop()
            raise
        return SmokeTarget(
            model=str(self.name("CHURN_CLASSIFIER")),
            function="PREDICT_PROBA",
            table=str(self.name("CUSTOMERS")),
            stage=f"@{self.name('SNOWBATCH_OUT')}/",
            pool=self.pool,
            files_model=str(self.name("FILE_INSPECTOR")) if self.files else None,
            files_location=f"@{self.name('MEDIA')}/images/" if self.files else None,
            warehouse_table=str(self.name("SCORED_IN_WAREHOUSE")),
            save_table=str(self.name("SCORED_BY_JOB")),
        )

    def __exit__(self, *exc: object) -> None:
        self.drop()

    def drop(self) -> None:
        self.session.sql(f"DROP SCHEMA IF EXISTS {self.schema.sql} CASCADE").collect()  # F53

    def _registry(self) -> Any:
        from snowflake.ml.registry import Registry

        return Registry(
            self.session, database_name=self.schema.database.sql, schema_name=self.schema.schema.sql
        )

    def _seed_table_and_model(self) -> None:
        from snowbatch import samples

        training = samples.customers_frame(500)
        frame = samples.customers_frame(max(self.rows, 1), seed=11)
        table = self.name("CUSTOMERS")
        self.session.create_dataframe(frame).write.save_as_table(
            [p.sql for p in table.parts()], mode="errorifexists"
        )
        self._registry().log_model(  # F55: snowflake-ml's own statements
            samples.churn_classifier(training),
            model_name="CHURN_CLASSIFIER",
            version_name="V1",
            sample_input_data=training[samples.CHURN_FEATURES].head(20),
            target_platforms=["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"],
        )

    def _seed_files(self) -> None:
        from snowflake.ml.model.custom_model import ModelContext

        from snowbatch.samples.models import file_inspectors

        media = self.name("MEDIA")
        self.session.sql(f"CREATE STAGE {media.sql} ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE')").collect()  # F16
        with tempfile.TemporaryDirectory(prefix="snowbatch-smoke-") as tmp:
            for rel, data in MEDIA_FILES.items():
                local = Path(tmp) / rel
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_bytes(data)
                folder = rel.rsplit("/", 1)[0]
                self.session.file.put(str(local), f"@{media.sql}/{folder}/", auto_compress=False)  # F54
        self._registry().log_model(
            file_inspectors.FileInspector(ModelContext()),
            model_name="FILE_INSPECTOR",
            version_name="V1",
            signatures=file_inspectors.signatures()["bytes"],
            target_platforms=["SNOWPARK_CONTAINER_SERVICES"],
        )


def run_smoke(
    settings: Any,
    *,
    pool: str,
    database: str | None = None,
    rows: int = 1,
    files: bool = True,
    say: Any = lambda step: None,
    backend: Any = None,
) -> Any:
    """`snowbatch doctor --smoke`: the whole flow on the person's own account, in a throwaway schema."""
    import anyio
    from mcp import Client

    from snowbatch.backends.snowflake import SnowflakeBackend
    from snowbatch.cli.smoke import run_flow
    from snowbatch.core.errors import InvalidRequest
    from snowbatch.server import build_server

    backend = backend or SnowflakeBackend(settings)
    session = backend.sessions.get()
    database = database or session.get_current_database()
    if not database:
        raise InvalidRequest(
            "The connection has no current database to create the smoke schema in.", "Pass --database."
        )
    with SmokeAccount(session, throwaway_schema(database), pool, rows=rows, files=files) as target:
        server = build_server(settings, backend=backend)

        async def go() -> Any:
            async with Client(server) as client:
                return await run_flow(client, target, say=say)

        return anyio.run(go)
