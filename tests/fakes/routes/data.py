"""Tables, stages and files, and loading results into a table (ledger §3, §4, §5)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tests.fakes import stagefiles
from tests.fakes.connection import Column, Result, Statement, fake_error
from tests.fakes.routes.common import (
    FQN,
    LIT,
    NAME,
    STAGEREF,
    Routes,
    already_exists,
    like_matches,
    not_found,
    qualify,
    quote,
    table,
)
from tests.fakes.routes.common import unquote_literal as unquote
from tests.fakes.state import split_name

if TYPE_CHECKING:
    from tests.fakes.account import FakeAccount
    from tests.fakes.connection import FakeConnection

# INFER_SCHEMA's FILES argument, in either form the revisions of its page write (F23)
FILES = rf"(?:\(\s*(?P<files1>{LIT}(?:\s*,\s*{LIT})*)\s*\)|(?P<files2>{LIT}(?:\s*,\s*{LIT})*))"


def build(acct: FakeAccount) -> Routes:
    r = Routes()

    # --- tables -------------------------------------------------------------------------------
    @r.add(rf"DESC(?:RIBE)? (?:TABLE|VIEW) (?P<t>{FQN})", "F13")
    def describe_table(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Object", ".".join(key), st.sql)
        cols = ["name", "type", "kind", "null?", "default", "primary key", "unique key", "check"]
        cols += ["expression", "comment", "policy name", "privacy domain"]
        rows = [
            (c, t, "COLUMN", "Y", None, "N", "N", None, None, None, None, None) for c, t in acct.tables[key]
        ]
        return table(cols, rows)

    @r.add(rf"SELECT COUNT\(\*\) FROM (?P<t>{FQN})", "F14")
    def count_rows(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Object", ".".join(key), st.sql)
        (n,) = acct.db.execute(f"SELECT COUNT(*) FROM {'.'.join(map(quote, key))}").fetchone() or (0,)
        return Result([Column("COUNT(*)", "FIXED", 38, 0)], [(int(n),)])

    @r.add(r'SELECT COUNT\(\*\) FROM \((?P<query>.*)\) AS "SNOWBATCH_INPUT"', "F59", flags=re.S)
    def count_query(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        (n,) = stagefiles.evaluate_select(acct, conn, f"SELECT COUNT(*) FROM ({m['query']})", st.sql).iloc[0]
        return Result([Column("COUNT(*)", "FIXED", 38, 0)], [(int(n),)])

    # --- stages -------------------------------------------------------------------------------
    @r.add(rf"SHOW STAGES(?: LIKE (?P<like>{LIT}))? IN SCHEMA (?P<schema>{NAME}\.{NAME})", "F15")
    def show_stages(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        db, sc = split_name(m["schema"])
        if sc not in acct.databases.get(db, set()):
            raise not_found("Schema", f"{db}.{sc}", st.sql)
        like = unquote(m["like"]) if m["like"] else None
        cols = ["created_on", "name", "database_name", "schema_name", "url", "has_credentials"]
        cols += ["has_encryption_key", "owner", "comment", "region", "type", "cloud", "storage_integration"]
        cols += ["endpoint", "owner_role_type", "directory_enabled"]
        rows = []
        for (sdb, ssc, name), stage in sorted(acct.stages.items()):
            if (sdb, ssc) != (db, sc) or not like_matches(like, name):
                continue
            ext = stage.type == "EXTERNAL"
            head = (stage.created_on, name, db, sc, stage.url, "false", "false", stage.owner, stage.comment)
            tail = (
                "us-west-2" if ext else None,
                stage.type,
                "AWS" if ext else None,
                None,
                None,
                "ROLE",
                "false",
            )
            rows.append((*head, *tail))
        return table(cols, rows)

    @r.add(
        rf"CREATE STAGE (?P<ine>IF NOT EXISTS )?(?P<stage>{FQN}) ENCRYPTION = \(TYPE = 'SNOWFLAKE_SSE'\)"
        rf"(?: COMMENT = (?P<comment>{LIT}))?",
        "F16",
    )
    def create_stage(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["stage"])
        if key[1] not in acct.databases.get(key[0], set()):
            raise not_found("Schema", f"{key[0]}.{key[1]}", st.sql)
        if key in acct.stages:
            if m["ine"]:
                return Result.status(f"{key[2]} already exists, statement succeeded.")
            raise already_exists(key[2], st.sql)
        acct.add_stage(key, encryption="SNOWFLAKE_SSE", comment=unquote(m["comment"]) if m["comment"] else "")
        return Result.status(f"Stage area {key[2]} successfully created.")

    @r.add(rf"(?P<verb>LIST|LS) (?P<loc>{LIT}|{STAGEREF})(?: PATTERN = (?P<pattern>{LIT}))?", "F17")
    def list_files(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        pattern = unquote(m["pattern"]) if m["pattern"] else None
        rows = stagefiles.list_rows(stage, prefix, pattern)
        return Result(
            [Column("name"), Column("size", "FIXED", 38, 0), Column("md5"), Column("last_modified")], rows
        )

    @r.add(rf"REMOVE (?P<loc>{LIT}|{STAGEREF})", "F21")
    def remove_files(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        removed = stagefiles.remove(stage, prefix)
        return Result([Column("name"), Column("result")], [(n, "removed") for n in removed])

    @r.add(
        rf"GET (?P<loc>{LIT}) '(?P<target>file://[^']*)'\s+parallel = \d+"
        rf"(?:\s+pattern = (?P<pattern>{LIT}))?",
        "F18",
    )
    def get_files(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        if stage.type == "EXTERNAL":  # D12: GET reads internal stages only
            raise fake_error(
                "SQL compilation error:\nGET is not supported on external stages.", 2070, "0A000", st.sql
            )
        pattern = unquote(m["pattern"]) if m["pattern"] else None
        rows = stagefiles.get(stage, prefix, m["target"][len("file://") :], pattern)
        return Result(
            [Column("file"), Column("size", "FIXED", 38, 0), Column("status"), Column("message")], rows
        )

    @r.add(
        r"COPY\s+INTO\s+(?P<loc>'(?:[^']|'')*')\s+FROM\s+\((?P<query>.*)\)\s+FILE_FORMAT\s+=\s+\(\s+TYPE\s+="
        r"\s+parquet\s+\)\s+overwrite = True\s+HEADER\s+=\s+True",
        "F19",
        "F57",
    )
    def unload(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        frame = stagefiles.evaluate_select(acct, conn, m["query"], st.sql)
        written = stagefiles.write_parquet(stage, prefix, frame)
        cols = [Column(c, "FIXED", 38, 0) for c in ("rows_unloaded", "input_bytes", "output_bytes")]
        return Result(cols, [(len(frame), written, written)])

    # --- the audit table ---------------------------------------------------------------------------------
    @r.add(rf"CREATE TABLE IF NOT EXISTS (?P<t>{FQN}) \(RECORDED_AT TIMESTAMP_LTZ, RECORD VARIANT\)", "F60")
    def create_audit_table(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key in acct.tables:
            return Result.status(f"{key[2]} already exists, statement succeeded.")
        acct.add_database(key[0], key[1])
        acct.db.execute(f"CREATE TABLE {'.'.join(map(quote, key))} (RECORDED_AT TIMESTAMPTZ, RECORD VARCHAR)")
        acct.tables[key] = [("RECORDED_AT", "TIMESTAMP_LTZ(9)"), ("RECORD", "VARIANT")]
        return Result.status(f"Table {key[2]} successfully created.")

    @r.add(
        rf"INSERT INTO (?P<t>{FQN}) \(RECORDED_AT, RECORD\) SELECT CURRENT_TIMESTAMP\(\), PARSE_JSON\(\?\)",
        "F60",
    )
    def insert_audit_record(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Table", ".".join(key), st.sql)
        (record,) = st.params or ("",)
        json.loads(str(record))  # PARSE_JSON fails on text that is not JSON: so does the fake
        acct.db.execute(f"INSERT INTO {'.'.join(map(quote, key))} VALUES (now(), ?)", [str(record)])
        return Result([Column("number of rows inserted", "FIXED", 38, 0)], [(1,)])

    # --- loading results into a table ----------------------------------------------------------------
    @r.add(rf"CREATE TEMPORARY FILE FORMAT IF NOT EXISTS (?P<ff>{FQN}) TYPE = PARQUET", "F22")
    def create_file_format(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        return Result.status(f"File format {split_name(m['ff'])[-1]} successfully created.")

    @r.add(
        rf"CREATE (?P<replace>OR REPLACE )?TABLE (?P<ine>IF NOT EXISTS )?(?P<t>{FQN}) USING TEMPLATE \("
        r"SELECT ARRAY_AGG\(OBJECT_CONSTRUCT\(\*\)\)(?: WITHIN GROUP \(ORDER BY ORDER_ID\))? FROM TABLE\("
        rf"INFER_SCHEMA\(LOCATION => (?P<loc>{LIT}), FILE_FORMAT => (?P<ff>{LIT})"
        rf"(?:, FILES => {FILES})?\)\)\)",
        "F23",
    )
    def create_table_from_parquet(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key in acct.tables and not m["replace"]:
            if m["ine"]:
                return Result.status(f"{key[2]} already exists, statement succeeded.")
            raise already_exists(key[2], st.sql)
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        listed = m["files1"] or m["files2"]
        names = [unquote(f) for f in re.findall(LIT, listed)] if listed else None
        # Without FILES every file under LOCATION is read, subdirectories too (d:infer-schema); what a
        # 0-byte _SUCCESS does is UNVERIFIED, so the fake takes the strict reading: it is not Parquet.
        frame = stagefiles.infer_frame(stage, prefix, names, st.sql).head(0)
        stagefiles.store_table(acct, key, frame)
        return Result.status(f"Table {key[2]} successfully created.")

    @r.add(
        rf"COPY INTO (?P<t>{FQN}) FROM (?P<loc>{LIT}) FILE_FORMAT = \(FORMAT_NAME = (?P<ff>{FQN})\) "
        rf"MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PATTERN = (?P<pattern>{LIT})",
        "F24",
    )
    def load_table(conn: FakeConnection, st: Statement, m: re.Match[str]) -> Result:
        key = qualify(conn, m["t"])
        if key not in acct.tables:
            raise not_found("Table", ".".join(key), st.sql)
        stage, prefix = stagefiles.locate(acct, conn, m["loc"], st.sql)
        rows = stagefiles.load_into_table(acct, key, stage, prefix, unquote(m["pattern"]), st.sql)
        cols = [
            Column("file"),
            Column("status"),
            Column("rows_parsed", "FIXED"),
            Column("rows_loaded", "FIXED"),
        ]
        return Result(cols, rows)

    return r
