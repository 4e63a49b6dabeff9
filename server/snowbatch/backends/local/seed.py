"""Seeding a local account with the sample models, the CUSTOMERS table, stages and pools."""

from __future__ import annotations

from dataclasses import dataclass, field

from snowbatch import samples
from snowbatch.backends.local.backend import LocalBackend
from snowbatch.core.names import Identifier, ObjectName


def sample_name(name: str) -> ObjectName:
    return ObjectName(Identifier(name), Identifier(samples.SCHEMA), Identifier(samples.DATABASE))


@dataclass
class SeedReport:
    models: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)
    pools: list[str] = field(default_factory=list)


def seed_local_account(backend: LocalBackend, *, rows: int = 100_000) -> SeedReport:
    """Create the sample objects that are missing (idempotent: existing ones are left alone)."""
    report = SeedReport()
    frame = samples.customers_frame(rows)
    table = sample_name(samples.CUSTOMERS_TABLE)
    if not backend.tables.exists(table):
        backend.tables.write(table, frame.drop(columns=["CHURNED"]), mode="error")
    report.tables[str(table)] = backend.tables.describe(table, count_rows=True).row_count or 0

    for name, (model, sample_input, comment) in samples.sample_models(frame.head(20_000)).items():
        target = sample_name(name)
        if not backend.account.model_dir(target).joinpath("model.json").exists():
            backend.registry.log_model(
                target, Identifier("V1"), model, sample_input=sample_input, comment=comment
            )
        report.models.append(str(target))

    for stage, encryption in (
        (samples.OUTPUT_STAGE, "SNOWFLAKE_SSE"),
        (samples.LEGACY_STAGE, "SNOWFLAKE_FULL"),
    ):
        target = sample_name(stage)
        if not backend.account.stage_meta(target).exists():
            backend.stages.create(
                target,
                encryption=encryption,  # type: ignore[arg-type]
                comment="sample stage"
                if encryption == "SNOWFLAKE_SSE"
                else "client-side encrypted: not usable for batch output",
            )
        report.stages.append(str(target))

    existing = {p.name for p in backend.pools.list_pools()}
    for pool, family, suspended, auto_resume in (
        ("CPU_POOL", "CPU_X64_S", False, True),
        ("ETL_POOL", "CPU_X64_XS", True, False),
    ):
        if pool not in existing:
            backend.pools.create(
                Identifier(pool),
                instance_family=family,
                initially_suspended=suspended,
                auto_resume=auto_resume,
            )
        report.pools.append(pool)
    return report
