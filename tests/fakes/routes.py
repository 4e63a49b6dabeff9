"""The statements the fake account answers, each a full-match pattern and a handler.

Shapes follow Snowflake's documented output (lower-case SHOW column names, JSON text in the JSON
columns) and what snowflake-ml 2.6.0 reads; see snowflake-objects.md in the shared reference folder.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from tests.fakes import jobs, stagefiles
from tests.fakes.account import quote
from tests.fakes.connection import Column, Result, Statement, fake_error
from tests.fakes.state import NOW, FakePool, Key, resolve, split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount, Handler
    from tests.fakes.connection import FakeConnection

NAME = r'(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)'
FQN = rf"{NAME}(?:\.{NAME}){{0,2}}"
LIT = r"'(?:[^'\\]|''|\\.)*'"  # a single-quoted SQL literal ('' and backslash escapes, as Snowflake)
S = r"\s+"
STAGEREF = r'@(?:"(?:[^"]|"")*"|[^\s"])+'  # an unquoted stage reference; its quoted names may hold spaces


def unquote_literal(text: str) -> str:
    """The value of a single-quoted literal: '' is a quote and a backslash escapes the next character."""
    return re.sub(r"''|\\(.)", lambda m: m[1] if m[1] is not None else "'", text[1:-1], flags=re.S)


def like_matches(pattern: str | None, name: str) -> bool:
    if pattern is None:
        return True
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, name, re.I | re.S) is not None


def not_found(kind: str, name: str, query: str) -> Exception:
    return fake_error(
        f"SQL compilation error:\n{kind} '{name}' does not exist or not authorized.", 2003, "02000", query
    )


def qualify(conn: FakeConnection, text: str) -> Key:
    parts = split_name(text)
    while len(parts) < 3:
        parts.insert(0, (conn.schema if len(parts) == 1 else conn.database) or "")
    return (parts[0], parts[1], parts[2])


def build(acct: FakeAccount) -> list[tuple[re.Pattern[str], Handler]]:
    routes: list[tuple[str, Handler]] = []

    def route(pattern: str) -> Any:
        def deco(fn: Handler) -> Handler:
            routes.append((pattern, fn))
            return fn

        return deco

    # --- session and account --------------------------------------------------------------------
    @route(r"select system\$cancel_all_queries\(\d+\)")
    def cancel_all(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result([Column("SYSTEM$CANCEL_ALL_QUERIES")], [("0 queries cancelled",)])

    @route(r"SELECT CURRENT_(?P<what>DATABASE|SCHEMA|ROLE|WAREHOUSE|USER|ACCOUNT)\(\)")
    def current_one(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        value = {
            "DATABASE": conn.database,
            "SCHEMA": conn.schema,
            "ROLE": conn.role,
            "WAREHOUSE": conn.warehouse,
            "USER": conn.user,
            "ACCOUNT": conn.account,
        }[m["what"]]
        return Result([Column(f"CURRENT_{m['what']}()")], [(value,)])

    @route(
        r"SELECT CURRENT_ACCOUNT\(\), CURRENT_USER\(\), CURRENT_ROLE\(\), CURRENT_WAREHOUSE\(\), "
        r"CURRENT_DATABASE\(\), CURRENT_SCHEMA\(\)"
    )
    def current_all(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        cols = ["ACCOUNT", "USER", "ROLE", "WAREHOUSE", "DATABASE", "SCHEMA"]
        return Result(
            [Column(f"CURRENT_{c}()") for c in cols],
            [(conn.account, conn.user, conn.role, conn.warehouse, conn.database, conn.schema)],
        )

    @route(r"SELECT SYSTEM\$ML_PLATFORM_CAPABILITIES\(\) AS FEATURES")
    def capabilities(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result([Column("FEATURES")], [(json.dumps(acct.capabilities),)])

    @route(rf"SHOW DATABASES LIKE (?P<like>{LIT})")
    def show_databases(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        like = unquote_literal(m["like"])
        rows = [
            (NOW, db, "N", "N", "", "", "ACCOUNTADMIN", "", "", "1", "STANDARD")
            for db in sorted(acct.databases)
            if like_matches(like, db)
        ]
        cols = [
            "created_on",
            "name",
            "is_default",
            "is_current",
            "origin",
            "owner",
            "comment",
            "options",
            "retention_time",
            "kind",
            "owner_role_type",
        ]
        return Result([Column(c) for c in cols], [r[:11] for r in rows])

    @route(rf"SHOW SCHEMAS LIKE (?P<like>{LIT}){S}IN DATABASE (?P<db>{NAME})")
    def show_schemas(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db = resolve(m["db"])
        if db not in acct.databases:
            raise not_found("Database", db, st.sql)
        like = unquote_literal(m["like"])
        rows = [
            (NOW, sc, "N", "N", db, "ACCOUNTADMIN", "", "", "1")
            for sc in sorted(acct.databases[db])
            if like_matches(like, sc)
        ]
        cols = [
            "created_on",
            "name",
            "is_default",
            "is_current",
            "database_name",
            "owner",
            "comment",
            "options",
            "retention_time",
        ]
        return Result([Column(c) for c in cols], rows)

    @route(rf"SHOW WAREHOUSES LIKE (?P<like>{LIT})")
    def show_warehouses(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        like = unquote_literal(m["like"])
        rows = [("ML_WH", "STARTED", "STANDARD", "X-Small")] if like_matches(like, "ML_WH") else []
        return Result([Column("name"), Column("state"), Column("type"), Column("size")], rows)

    @route(rf"SHOW GRANTS TO ROLE (?P<role>{NAME})")
    def show_grants(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        role = resolve(m["role"])
        cols = [
            "created_on",
            "privilege",
            "granted_on",
            "name",
            "granted_to",
            "grantee_name",
            "grant_option",
            "granted_by",
        ]
        rows = [
            (NOW, priv, on, name, "ROLE", role, "false", "ACCOUNTADMIN")
            for priv, on, name in acct_grants(acct)
        ]
        return Result([Column(c) for c in cols], rows)

    # --- registry -----------------------------------------------------------------------------
    @route(rf"SHOW MODELS(?: LIKE (?P<like>{LIT}))? IN SCHEMA (?P<schema>{NAME}\.{NAME})")
    def show_models(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc = split_name(m["schema"])
        if sc not in acct.databases.get(db, set()):
            raise not_found("Schema", f"{db}.{sc}", st.sql)
        like = unquote_literal(m["like"]) if m["like"] else None
        rows = []
        for (mdb, msc, name), model in sorted(acct.models.items()):
            if (mdb, msc) == (db, sc) and like_matches(like, name):
                aliases = {a: v.name for v in model.versions.values() for a in v.aliases}
                rows.append(
                    (
                        model.created_on,
                        name,
                        "USER_MODEL",
                        db,
                        sc,
                        model.owner,
                        model.comment,
                        json.dumps(list(model.versions)),
                        model.default_version,
                        json.dumps(aliases),
                    )
                )
        cols = [
            "created_on",
            "name",
            "model_type",
            "database_name",
            "schema_name",
            "owner",
            "comment",
            "versions",
            "default_version_name",
            "aliases",
        ]
        return Result([Column(c, "TIMESTAMP_LTZ" if c == "created_on" else "TEXT") for c in cols], rows)

    @route(rf"SHOW VERSIONS(?: LIKE (?P<like>{LIT}))? IN MODEL (?P<model>{FQN})")
    def show_versions(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["model"])
        model = acct.models.get(key)
        if model is None:
            raise not_found("Model", ".".join(key), st.sql)
        like = unquote_literal(m["like"]) if m["like"] else None
        details = dict(st.statement_params).get("SHOW_MODEL_DETAILS_IN_SHOW_VERSIONS_IN_MODEL") is True
        rows = []
        for v in model.versions.values():
            if not like_matches(like, v.name):
                continue
            is_default = v.name == model.default_version
            system = (
                (["DEFAULT"] if is_default else [])
                + (["FIRST"] if v.name == next(iter(model.versions)) else [])
                + (["LAST"] if v.name == list(model.versions)[-1] else [])
            )
            attrs = {
                "framework": v.model_type,
                "task": "TABULAR_BINARY_CLASSIFICATION"
                if "predict_proba" in v.methods
                else "TABULAR_REGRESSION",
            }
            rows.append(
                (
                    v.created_on,
                    v.name,
                    json.dumps(system + v.aliases),
                    key[0],
                    key[1],
                    key[2],
                    "true" if is_default else "false",
                    json.dumps([re.sub(r"^(\w+)$", lambda x: x[1].upper(), f) for f in v.methods]),
                    "{}",
                    "{}",
                    v.comment,
                    json.dumps(v.runnable_in),
                    "[]",
                    json.dumps(attrs),
                    v.model_spec if details else None,
                )
            )
        cols = [
            "created_on",
            "name",
            "aliases",
            "database_name",
            "schema_name",
            "model_name",
            "is_default_version",
            "functions",
            "metadata",
            "user_data",
            "comment",
            "runnable_in",
            "inference_services",
            "model_attributes",
            "model_spec",
        ]
        return Result([Column(c, "TIMESTAMP_LTZ" if c == "created_on" else "TEXT") for c in cols], rows)

    @route(rf"SHOW FUNCTIONS IN MODEL (?P<model>{FQN}) VERSION (?P<version>{NAME})")
    def show_functions(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["model"])
        model = acct.models.get(key)
        version = model.versions.get(resolve(m["version"])) if model else None
        if version is None:
            raise not_found("Model version", f"{'.'.join(key)} {m['version']}", st.sql)
        rows = []
        for method in version.methods:
            sql_name = method.upper() if re.fullmatch(r"\w+", method) else method
            rows.append(
                (NOW, sql_name, version.name, 1, 1, f"{sql_name}(...) RETURN OBJECT", "OBJECT", "", "PYTHON")
            )
        cols = [
            "created_on",
            "name",
            "version_name",
            "min_num_arguments",
            "max_num_arguments",
            "arguments",
            "return_type",
            "description",
            "language",
        ]
        return Result([Column(c) for c in cols], rows)

    # --- tables -------------------------------------------------------------------------------
    @route(rf"DESC(?:RIBE)? (?:TABLE|VIEW) (?P<t>{FQN})")
    def describe_table(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Object", ".".join(key), st.sql)
        cols = [
            "name",
            "type",
            "kind",
            "null?",
            "default",
            "primary key",
            "unique key",
            "check",
            "expression",
            "comment",
            "policy name",
            "privacy domain",
        ]
        rows = [
            (c, t, "COLUMN", "Y", None, "N", "N", None, None, None, None, None) for c, t in acct.tables[key]
        ]
        return Result([Column(c) for c in cols], rows)

    @route(rf"SELECT COUNT\(\*\) FROM (?P<t>{FQN})")
    def count_rows(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Object", ".".join(key), st.sql)
        (n,) = acct.db.execute(f"SELECT COUNT(*) FROM {'.'.join(map(quote, key))}").fetchone() or (0,)
        return Result([Column("COUNT(*)", "FIXED", 38, 0)], [(int(n),)])

    # --- stages -------------------------------------------------------------------------------
    @route(rf"SHOW STAGES(?: LIKE (?P<like>{LIT}))? IN SCHEMA (?P<schema>{NAME}\.{NAME})")
    def show_stages(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc = split_name(m["schema"])
        if sc not in acct.databases.get(db, set()):
            raise not_found("Schema", f"{db}.{sc}", st.sql)
        like = unquote_literal(m["like"]) if m["like"] else None
        rows = []
        for (sdb, ssc, name), stage in sorted(acct.stages.items()):
            if (sdb, ssc) == (db, sc) and like_matches(like, name):
                external = stage.type == "EXTERNAL"
                rows.append(
                    (
                        stage.created_on,
                        name,
                        db,
                        sc,
                        stage.url,
                        "false",
                        "false",
                        stage.owner,
                        stage.comment,
                        "us-west-2" if external else None,
                        stage.type,
                        "AWS" if external else None,
                        None,
                        None,
                        "ROLE",
                        "false",
                    )
                )
        cols = [
            "created_on",
            "name",
            "database_name",
            "schema_name",
            "url",
            "has_credentials",
            "has_encryption_key",
            "owner",
            "comment",
            "region",
            "type",
            "cloud",
            "storage_integration",
            "endpoint",
            "owner_role_type",
            "directory_enabled",
        ]
        return Result([Column(c) for c in cols], rows)

    @route(
        rf"CREATE STAGE (?P<ine>IF NOT EXISTS )?(?P<stage>{FQN}) ENCRYPTION = \(TYPE = 'SNOWFLAKE_SSE'\)"
        rf"(?: COMMENT = (?P<comment>{LIT}))?"
    )
    def create_stage(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["stage"])
        if key[1] not in acct.databases.get(key[0], set()):
            raise not_found("Schema", f"{key[0]}.{key[1]}", st.sql)
        if key in acct.stages:
            if m["ine"]:
                return Result.status(f"{key[2]} already exists, statement succeeded.")
            raise fake_error(
                f"SQL compilation error:\nObject '{key[2]}' already exists.", 2002, "42710", st.sql
            )
        acct.add_stage(
            key, encryption="SNOWFLAKE_SSE", comment=unquote_literal(m["comment"]) if m["comment"] else ""
        )
        return Result.status(f"Stage area {key[2]} successfully created.")

    @route(rf"(?P<verb>LIST|LS) (?P<loc>{LIT}|{STAGEREF})(?: PATTERN = (?P<pattern>{LIT}))?")
    def list_files(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        pattern = unquote_literal(m["pattern"]) if m["pattern"] else None
        rows = stagefiles.list_rows(stage, prefix, pattern)
        return Result(
            [Column("name"), Column("size", "FIXED", 38, 0), Column("md5"), Column("last_modified")], rows
        )

    @route(rf"REMOVE (?P<loc>{LIT}|{STAGEREF})")
    def remove_files(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        removed = stagefiles.remove(stage, prefix)
        return Result([Column("name"), Column("result")], [(n, "removed") for n in removed])

    @route(
        rf"GET (?P<loc>{LIT}) '(?P<target>file://[^']*)'\s+parallel = \d+(?:\s+pattern = (?P<pattern>{LIT}))?"
    )
    def get_files(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        pattern = unquote_literal(m["pattern"]) if m["pattern"] else None
        rows = stagefiles.get(stage, prefix, m["target"][len("file://") :], pattern)
        return Result(
            [Column("file"), Column("size", "FIXED", 38, 0), Column("status"), Column("message")], rows
        )

    @route(
        r"COPY\s+INTO\s+(?P<loc>'(?:[^']|'')*')\s+FROM\s+\((?P<query>.*)\)\s+FILE_FORMAT\s+=\s+\(\s+TYPE\s+="
        r"\s+parquet\s+\)\s+overwrite = True\s+HEADER\s+=\s+True"
    )
    def unload(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        frame = stagefiles.evaluate_select(acct, conn, m["query"], st.sql)
        written = stagefiles.write_parquet(stage, prefix, frame)
        return Result(
            [
                Column("rows_unloaded", "FIXED", 38, 0),
                Column("input_bytes", "FIXED", 38, 0),
                Column("output_bytes", "FIXED", 38, 0),
            ],
            [(len(frame), written, written)],
        )

    @route(rf"CREATE TEMPORARY FILE FORMAT IF NOT EXISTS (?P<ff>{FQN}) TYPE = PARQUET")
    def create_file_format(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result.status(f"File format {split_name(m['ff'])[-1]} successfully created.")

    @route(
        rf"CREATE (?P<replace>OR REPLACE )?TABLE (?P<ine>IF NOT EXISTS )?(?P<t>{FQN}) USING TEMPLATE \("
        rf"SELECT ARRAY_AGG\(OBJECT_CONSTRUCT\(\*\)\) FROM TABLE\(INFER_SCHEMA\(LOCATION => (?P<loc>{LIT}), "
        rf"FILE_FORMAT => (?P<ff>{LIT})\)\)\)"
    )
    def create_table_from_parquet(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key in acct.tables and not m["replace"]:
            if m["ine"]:
                return Result.status(f"{key[2]} already exists, statement succeeded.")
            raise fake_error(
                f"SQL compilation error:\nObject '{key[2]}' already exists.", 2002, "42710", st.sql
            )
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        frame = stagefiles.read_parquet(stage, prefix).head(0)
        stagefiles.store_table(acct, key, frame)
        return Result.status(f"Table {key[2]} successfully created.")

    @route(
        rf"COPY INTO (?P<t>{FQN}) FROM (?P<loc>{LIT}) FILE_FORMAT = \(FORMAT_NAME = (?P<ff>{FQN})\) "
        rf"MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PATTERN = (?P<pattern>{LIT})"
    )
    def load_table(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Table", ".".join(key), st.sql)
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        rows = stagefiles.load_into_table(acct, key, stage, prefix)
        return Result(
            [
                Column("file"),
                Column("status"),
                Column("rows_parsed", "FIXED"),
                Column("rows_loaded", "FIXED"),
            ],
            rows,
        )

    # --- compute pools ------------------------------------------------------------------------
    @route(rf"SHOW COMPUTE POOLS(?: LIKE (?P<like>{LIT}|\?))?")
    def show_pools(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        like = None
        if m["like"] == "?":
            like = str((st.params or ("",))[0])
        elif m["like"]:
            like = unquote_literal(m["like"])
        cols = [
            "name",
            "state",
            "min_nodes",
            "max_nodes",
            "instance_family",
            "num_services",
            "num_jobs",
            "auto_suspend_secs",
            "auto_resume",
            "active_nodes",
            "idle_nodes",
            "target_nodes",
            "created_on",
            "resumed_on",
            "updated_on",
            "owner",
            "comment",
            "is_exclusive",
            "application",
            "budget",
            "error_code",
            "status_message",
            "placement_group",
        ]
        rows = []
        for name, p in sorted(acct.pools.items()):
            if like_matches(like, name):
                running = sum(
                    1 for j in acct.jobs.values() if j.compute_pool == name and j.status == "RUNNING"
                )
                rows.append(
                    (
                        name,
                        p.state,
                        p.min_nodes,
                        p.max_nodes,
                        p.instance_family,
                        0,
                        running,
                        p.auto_suspend_secs,
                        "true" if p.auto_resume else "false",
                        p.active_nodes,
                        p.active_nodes,
                        p.min_nodes if p.state != "SUSPENDED" else 0,
                        p.created_on,
                        None,
                        NOW,
                        "ACCOUNTADMIN",
                        p.comment,
                        "false",
                        None,
                        None,
                        None,
                        "",
                        None,
                    )
                )
        return Result(
            [
                Column(c, "FIXED" if c.endswith(("nodes", "secs", "services", "jobs")) else "TEXT")
                for c in cols
            ],
            rows,
        )

    @route(
        rf"CREATE COMPUTE POOL (?P<ine>IF NOT EXISTS )?(?P<name>{NAME}) MIN_NODES = (?P<min>\d+) "
        rf"MAX_NODES = (?P<max>\d+) INSTANCE_FAMILY = (?P<family>\w+) AUTO_RESUME = (?P<ar>TRUE|FALSE) "
        rf"AUTO_SUSPEND_SECS = (?P<secs>\d+)"
    )
    def create_pool(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        name = resolve(m["name"])
        if name in acct.pools:
            if m["ine"]:
                return Result.status(f"{name} already exists, statement succeeded.")
            raise fake_error(
                f"SQL compilation error:\nObject '{name}' already exists.", 2002, "42710", st.sql
            )
        acct.add_pool(
            FakePool(
                name,
                m["family"],
                state="STARTING",
                min_nodes=int(m["min"]),
                max_nodes=int(m["max"]),
                auto_resume=m["ar"] == "TRUE",
                auto_suspend_secs=int(m["secs"]),
            )
        )
        return Result.status(f"Compute Pool {name} successfully created.")

    @route(rf"ALTER COMPUTE POOL (?P<name>{NAME}) RESUME")
    def resume_pool(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        name = resolve(m["name"])
        pool = acct.pools.get(name)
        if pool is None:
            raise not_found("Compute pool", name, st.sql)
        if pool.state == "SUSPENDED":
            pool.state = "STARTING"
        return Result.status("Statement executed successfully.")

    # --- batch jobs ---------------------------------------------------------------------------
    @route(
        rf"EXECUTE INFERENCE JOB SERVICE\nIN COMPUTE POOL (?P<pool>{NAME})\n"
        rf"WITH SPECIFICATION '(?P<spec>(?:[^'\\]|\\.)*)'\nFROM (?P<src>{STAGEREF})\n"
        rf"MODEL = (?P<model>{FQN})(?:\nVERSION = (?P<version>{NAME}))?(?:\nFUNCTION = (?P<fn>{LIT}))?"
        rf"(?:\nNAME = (?P<name>{FQN}))?\nASYNC = (?P<async>TRUE|FALSE)(?:\nREPLICAS = (?P<replicas>\d+))?"
    )
    def execute_job(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        name = m["name"] or f"BATCH_INFERENCE_{uuid.uuid4().hex.upper()}"
        job = jobs.submit(
            acct,
            conn,
            st.sql,
            pool=resolve(m["pool"]),
            spec_yaml=m["spec"].replace("\\'", "'"),
            source=m["src"],
            model=qualify(conn, m["model"]),
            version=resolve(m["version"]) if m["version"] else None,
            function=unquote_literal(m["fn"]) if m["fn"] else None,
            name=qualify(conn, name),
            replicas=int(m["replicas"] or 1),
        )
        return Result.status(f"Batch inference job {'.'.join(job.key)} successfully submitted.")

    @route(r"DESCRIBE SERVICE IDENTIFIER\(\?\)")
    def describe_service(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, str((st.params or ("",))[0]), st.sql)
        return jobs.describe_rows(job)

    @route(r"SHOW SERVICE INSTANCES IN SERVICE IDENTIFIER\(\?\)")
    def show_instances(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, str((st.params or ("",))[0]), st.sql)
        return jobs.instance_rows(job)

    @route(r"SELECT SYSTEM\$GET_SERVICE_LOGS\(\?, \?, \?(?:, \?)?\)")
    def service_logs(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        params = list(st.params or ())
        job = jobs.find_live(acct, conn, str(params[0]), st.sql)
        lines = job.logs[-int(params[3]) :] if len(params) > 3 else job.logs
        return Result([Column("SYSTEM$GET_SERVICE_LOGS")], [("\n".join(lines),)])

    @route(rf"CALL (?P<job>{FQN})!spcs_cancel_job\(\)")
    def cancel_job(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, m["job"], st.sql)
        jobs.cancel(job)
        return Result([Column("SPCS_CANCEL_JOB")], [("Job cancellation requested.",)])

    @route(r"DROP SERVICE IDENTIFIER\(\?\)")
    def drop_service(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        job = jobs.find_live(acct, conn, str((st.params or ("",))[0]), st.sql)
        job.deleted = True
        return Result.status(f"{job.key[2]} successfully dropped.")

    @route(
        r"SELECT NAME, STATUS, MESSAGE, COMPUTE_POOL_NAME, CREATED_TIME, COMPLETED_TIME FROM TABLE\("
        r"SNOWFLAKE\.SPCS\.GET_JOB_HISTORY\(\)\) WHERE DATABASE_NAME = \? AND SCHEMA_NAME = \? AND "
        r"DELETED_TIME IS NULL ORDER BY CREATED_TIME DESC, NAME LIMIT (?P<limit>\d+) OFFSET (?P<offset>\d+)"
    )
    def job_history(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        if not acct.job_history_enabled:
            raise fake_error("Unknown function SNOWFLAKE.SPCS.GET_JOB_HISTORY", 2143, "42601", st.sql)
        db, sc = (st.params or ("", ""))[:2]
        return jobs.history_rows(acct, str(db), str(sc), int(m["limit"]), int(m["offset"]))

    @route(
        r"select DATABASE_NAME, SCHEMA_NAME, NAME, STATUS, COMPUTE_POOL_NAME, PARAMETERS\s+from table\("
        r"snowflake\.spcs\.get_job_history\(\)\)\s+where database_name = \? and schema_name = \? "
        r"and name = \?"
    )
    def job_history_one(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc, name = (resolve(str(p)) for p in (st.params or ("", "", "")))
        job = acct.jobs.get((db, sc, name))
        cols = ["DATABASE_NAME", "SCHEMA_NAME", "NAME", "STATUS", "COMPUTE_POOL_NAME", "PARAMETERS"]
        rows = (
            []
            if job is None
            else [
                (
                    db,
                    sc,
                    name,
                    "DELETED" if job.deleted else job.status,
                    job.compute_pool,
                    json.dumps({"REPLICAS": job.replicas}),
                )
            ]
        )
        return Result([Column(c) for c in cols], rows)

    @route(rf"SHOW JOB SERVICES IN SCHEMA (?P<schema>{NAME}\.{NAME})")
    def show_job_services(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc = split_name(m["schema"])
        return jobs.show_job_services_rows(acct, db, sc)

    return [(re.compile(p, re.S), h) for p, h in routes]


def acct_grants(acct: FakeAccount) -> list[tuple[str, str, str]]:
    """The privileges the fake role holds directly (minus what a test denied with a 'grant:' pattern)."""
    granted = [
        ("USAGE", "DATABASE", "ML"),
        ("USAGE", "SCHEMA", "ML.PUBLIC"),
        ("CREATE SERVICE", "SCHEMA", "ML.PUBLIC"),
        ("CREATE STAGE", "SCHEMA", "ML.PUBLIC"),
        ("USAGE", "WAREHOUSE", "ML_WH"),
        ("USAGE", "COMPUTE_POOL", "CPU_POOL"),
        ("USAGE", "COMPUTE_POOL", "GPU_POOL"),
    ]
    revoked = {d.pattern[len("grant:") :] for d in acct.denials if d.pattern.startswith("grant:")}
    return [g for g in granted if f"{g[0]} {g[1]} {g[2]}" not in revoked]
