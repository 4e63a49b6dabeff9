"""Mutants that were read and found equivalent: no test can tell them from the real code.

A run skips them (none can be killed, and each would cost a full run of its target's tests); `--all` runs
them too and reports any that a test now kills, and every run reports a listed name that no longer
matches a mutant, so the list stays true. Names are `Mutant.name` (no line numbers). Each reason says
why the change cannot be seen; docs/testing.md has the result.
"""

# ruff: noqa: E501  (the names are the mutants' own text, kept whole so they can be searched for)

from __future__ import annotations

REASONS: dict[str, list[str]] = {
    # --- gate and tokens ---------------------------------------------------------------------------
    "a type literal only (Verdict)": ["core/checkpoints.py:<module>:'ok'  ->  'o'"],
    "canonical text is only compared with itself in one process, stays unambiguous (JSON strings are "
    "escaped), and every gated argument is a JSON value": [
        "core/checkpoints.py:canonical:','  ->  ''",
        "core/checkpoints.py:canonical:':'  ->  ''",
        "core/checkpoints.py:canonical:dropped `default=` in json.dumps(body, sort_keys=True, separators=(',', ':'), default=str)",
        "core/checkpoints.py:canonical:dropped `separators=` in json.dumps(body, sort_keys=True, separators=(',', ':'), default=str)",
    ],
    "the default time to live: the app always passes the setting": [
        "core/checkpoints.py:ConfirmationSigner:600  ->  601"
    ],
    "frozen=True: nothing assigns to a signer": [
        "core/checkpoints.py:ConfirmationSigner:True  ->  False",
        "core/checkpoints.py:ConfirmationSigner:dropped `frozen=` in dataclass(frozen=True)",
    ],
    "the resolver's and the token's annotations: the SDK reads __annotations__, set next, and the token "
    "stays an optional string in the schema (a spec test checks it)": [
        "tools/gate.py:gated.decorate:dropped `annotation=` in inspect.Parameter('confirmation_token', inspect.Parameter.KEYWORD_O...",
        "tools/gate.py:gated.decorate:dropped `annotation=` in inspect.Parameter('ctx', inspect.Parameter.KEYWORD_ONLY, annotation...",
    ],
    "tools are always called by keyword": [
        "tools/gate.py:gated.decorate:dropped `kind=` in p.replace(kind=inspect.Parameter.KEYWORD_ONLY)"
    ],
    "_ask's default note: every caller passes one": ["tools/gate.py:_ask:''  ->  'X'"],
    "an accepted Approval never reaches that line on the legacy protocol; any undecided answer asks the "
    "same way": [
        "tools/gate.py:_decide:outcome.action == 'accept' and isinstance(getattr(outcome, 'data', ...  ->  outcome.action == 'accept' or isinstance(getattr(outcome, 'data', N...",
        "tools/gate.py:_decide:'ask'  ->  'as'",
    ],
    "describe_create is always called with every argument": [
        "tools/pools.py:register.describe_create:1  ->  2",
        "tools/pools.py:register.describe_create:1  ->  2#2",
        "tools/pools.py:register.describe_create:600  ->  601",
    ],
    "the describe step refused a quoted pool name before any token (tested)": [
        "tools/pools.py:register.create_compute_pool:False  ->  True",
        "tools/pools.py:register.create_compute_pool:dropped `allow_quoted=` in Identifier.parse(name, allow_quoted=False)",
    ],
    # --- names and SQL literals --------------------------------------------------------------------
    "a doubled quote toggles twice, which splits the same; an unclosed quote is refused by the identifier "
    "rules anyway": [
        "core/names.py:_split_parts:'\"'  ->  ''#2",
        "core/names.py:_split_parts:1  ->  2",
        "core/names.py:_split_parts:`if quoted and i + 1 < len(text) and (text[i + 1] == '\"'):` never taken",
        "core/names.py:_split_parts:`if quoted:` never taken",
    ],
    "a stage path's quoted-literal guard and its `~`/`%` guard: the same path or the same refusal": [
        "core/names.py:StageLocation.parse:\"'\"  ->  ''",
        "core/names.py:StageLocation.parse:\"'\"  ->  ''#2",
        "core/names.py:StageLocation.parse:2  ->  3",
        "core/names.py:StageLocation.parse:len(raw) >= 2  ->  len(raw) > 2",
        "core/names.py:StageLocation.parse:`if body.startswith(('~', '%')):` never taken",
        "core/names.py:StageLocation.parse:cut < len(body)  ->  cut <= len(body)",
    ],
    "a placeholder: `X` is neither a quote nor a control character": [
        "core/names.py:Identifier.parse:''  ->  'X'",
        "core/names.py:sql_string:''  ->  'X'",
        "core/names.py:sql_string:''  ->  'X'#2",
    ],
    "qualifying a qualified name keeps every part": [
        "core/names.py:qualify:`if isinstance(name, ObjectName) and name.is_qualified:` never taken"
    ],
    # --- preflight ---------------------------------------------------------------------------------
    "the job name was checked before, so this parse cannot fail and its `what` is never shown": [
        "core/preflight.py:run_preflight:'job'  ->  'jo'",
        "core/preflight.py:run_preflight:dropped `what=` in ObjectName.parse(job_name, what='job')",
    ],
    # --- output and _SUCCESS -----------------------------------------------------------------------
    "no listed entry starts with `/`, only the first part is used, and every listed path starts with the "
    "location": [
        "core/output.py:occupants:'/'  ->  ''",
        "core/output.py:occupants:1  ->  2",
        "core/output.py:_inner:'/'  ->  ''",
        "core/output.py:_inner:1  ->  2",
        "core/output.py:_inner:1  ->  2#2",
    ],
    # --- secret scrubbing --------------------------------------------------------------------------
    "one character more of a connection error": [
        "backends/snowflake/session.py:SessionProvider._create:500  ->  501"
    ],
    "only the first attempt retries; the re-raise of a test fake's AssertionError and the unreachable raise "
    "after the loop (a crash either way)": [
        "backends/snowflake/session.py:SessionProvider.run:2  ->  3",
        "backends/snowflake/session.py:SessionProvider.run:removed `raise AssertionError('unreachable')`",
        "backends/snowflake/session.py:SessionProvider.run:removed `raise pass`#2",
    ],
    # --- job cancel and state ----------------------------------------------------------------------
    "a backstop the tools never reach: they refuse a job still being submitted before any token, and the "
    "gate re-runs that step before the action": [
        "backends/snowflake/jobs.py:Jobs.cancel_job:`if self.submitter.in_flight(str(job_id)):` never taken"
    ],
    "without CANCELLING recorded first, the runner still ends the job: on SIGTERM it records CANCELLED, and "
    "a worker's death seen first ends FAILED, which cancel's final change also turns into CANCELLED": [
        "backends/local/jobs.py:LocalJobs.cancel:dropped `status=` in files.transition(ACTIVE, lock_timeout=LOCK_WAIT_SECONDS, status='CA..."
    ],
    "a runner leads its own group and submit records its pid and pgid before job.json (without which no "
    "cancel finds the job): the fallbacks are never taken": [
        "backends/local/jobs.py:LocalJobs.cancel:'pgid'  ->  'pgi'",
        "backends/local/jobs.py:LocalJobs.cancel:'pid'  ->  'pi'",
        "backends/local/jobs.py:LocalJobs.cancel:0  ->  1",
    ],
    "the re-entry always finds the job finished (a state leaves PENDING/RUNNING/CANCELLING only for a "
    "final one) and refuses before any stop": [
        "backends/local/jobs.py:LocalJobs.cancel:dropped `grace_seconds=` in self.cancel(job_id, grace_seconds=grace_seconds)"
    ],
    "a tuning of the bounded wait for a foreign lock holder (the bound itself is specified)": [
        "backends/local/jobs.py:LocalJobs.cancel:5  ->  6"
    ],
    "the parts were just found by the glob; every job record has its kind": [
        "backends/local/jobs.py:LocalJobs._discard_unfinished:True  ->  False",
        "backends/local/jobs.py:LocalJobs._discard_unfinished:dropped `missing_ok=` in tmp.unlink(missing_ok=True)",
        "backends/local/jobs.py:LocalJobs._discard_unfinished:'kind'  ->  'kin'",
        "backends/local/jobs.py:LocalJobs._discard_unfinished:'batch'  ->  'batc'",
    ],
    "the fallback for a system without /proc (never taken on Linux)": [
        "backends/local/processes.py:group_alive:`if not proc.is_dir():` never taken",
        "backends/local/processes.py:group_alive:removed `os.killpg(pgid, 0)`",
        "backends/local/processes.py:group_alive:0  ->  1",
        "backends/local/processes.py:group_alive:False  ->  True",
        "backends/local/processes.py:group_alive:True  ->  False",
    ],
    "a /proc stat line always has more than 3 fields, and a job's runner starts its own session, so its "
    "session id is its group id": [
        "backends/local/processes.py:group_alive:len(stat) > 2  ->  len(stat) >= 2",
        "backends/local/processes.py:group_alive:2  ->  3",
        "backends/local/processes.py:group_alive:2  ->  3#2",
    ],
    "timing only: the 20 ms polls of stop_group and their deadline's edge": [
        "backends/local/processes.py:stop_group:removed `time.sleep(0.02)`",
        "backends/local/processes.py:stop_group:removed `time.sleep(0.02)`#2",
        "backends/local/processes.py:stop_group:time.monotonic() < deadline  ->  time.monotonic() <= deadline",
        "backends/local/processes.py:stop_group:time.monotonic() < deadline  ->  time.monotonic() <= deadline#2",
    ],
    "performance only: each worker's share of the cores for BLAS/OpenMP threads, and the pool's size when "
    "more workers are asked than there are cores": [
        "backends/local/runner.py:_score_in_pool:1  ->  2",
        "backends/local/runner.py:_score_in_pool:1  ->  2#2",
        "backends/local/runner.py:_score_in_pool:os.cpu_count() or 1  ->  os.cpu_count() and 1",
        "backends/local/runner.py:_score_in_pool:dropped `max_workers=` in ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(...",
    ],
    "fork is the default start method of Python 3.11-3.13 on Linux (the project pins no other)": [
        "backends/local/runner.py:_score_in_pool:dropped `mp_context=` in ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(...",
    ],
    "workers without the initializer keep the runner's SIGTERM handler and wide thread pools; on a stop "
    "the runner SIGKILLs them and stop_group escalates anyway, so the job ends the same": [
        "backends/local/runner.py:_score_in_pool:dropped `initializer=` in ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(...",
    ],
    "the workers were SIGKILLed on the line before: shutdown only tidies an executor in a process that "
    "is leaving": [
        "backends/local/runner.py:_score_in_pool:removed `pool.shutdown(wait=False, cancel_futures=True)`",
        "backends/local/runner.py:_score_in_pool:dropped `wait=` in pool.shutdown(wait=False, cancel_futures=True)",
        "backends/local/runner.py:_score_in_pool:dropped `cancel_futures=` in pool.shutdown(wait=False, cancel_futures=True)",
        "backends/local/runner.py:_score_in_pool:False  ->  True",
        "backends/local/runner.py:_score_in_pool:True  ->  False",
    ],
    "every future has finished: the idle workers exit when the runner does (their queue closes), and "
    "_SUCCESS follows the last part either way": [
        "backends/local/runner.py:_score_in_pool:removed `pool.shutdown(wait=True)`",
        "backends/local/runner.py:_score_in_pool:dropped `wait=` in pool.shutdown(wait=True)",
        "backends/local/runner.py:_score_in_pool:True  ->  False#2",
    ],
    "at most one part waits to be written (the loop waits for it first), so a second writer thread never "
    "has work; the thread's name is cosmetic": [
        "backends/local/runner.py:_score_in_process:1  ->  2",
        "backends/local/runner.py:_score_in_process:dropped `max_workers=` in ThreadPoolExecutor(max_workers=1, thread_name_prefix='write')",
        "backends/local/runner.py:_score_in_process:dropped `thread_name_prefix=` in ThreadPoolExecutor(max_workers=1, thread_name_prefix='write')",
        "backends/local/runner.py:_score_in_process:'write'  ->  'writ'",
    ],
    "an exit code of 2 for 1: any non-zero code is a job that did not complete, and nothing reads more "
    "(the server reads the job's state)": [
        "backends/local/runner.py:run:1  ->  2",
        "backends/local/runner.py:run:1  ->  2#2",
        "backends/local/runner.py:run:1  ->  2#3",
        "backends/local/runner.py:run:1  ->  2#4",
        "backends/local/runner.py:run:1  ->  2#8",
        "backends/local/runner.py:run:1  ->  2#9",
    ],
    "an empty input has no row group: the pool's size then changes nothing": [
        "backends/local/runner.py:run:1  ->  2#6"
    ],
    "main() passes the model's path and the server's pid together or neither": [
        "backends/local/runner.py:run:model_path is not None and server_pid is not None  ->  model_path is not None or server_pid is not None"
    ],
    "only in a log line (the wait for the snapshot, the row count)": [
        "backends/local/runner.py:run:time.perf_counter() - waiting  ->  time.perf_counter() + waiting",
        "backends/local/runner.py:run:job.get('row_count') or 0  ->  job.get('row_count') and 0",
        "backends/local/runner.py:run:0  ->  1",
    ],
    "the same value is already there: submit recorded the runner's pid (a warm runner's child checks it is "
    "that pid), and the last progress update recorded the rows done": [
        "backends/local/runner.py:run:dropped `pid=` in files.transition(('PENDING',), status='RUNNING', started_on=now_iso...",
        "backends/local/runner.py:run:dropped `rows_done=` in files.update_state(status='DONE', completed_on=now_iso(), rows_done...",
    ],
    "one character more of a failure message": ["backends/local/runner.py:run:2000  ->  2001"],
    # --- job listing -------------------------------------------------------------------------------
    "the epoch for a job without a time: still before every real job, and a naive time is read as UTC": [
        "core/joblist.py:<module>:'T'  ->  ''",
        "core/joblist.py:<module>:1  ->  2",
        "core/joblist.py:<module>:1  ->  2#2",
        "core/joblist.py:<module>:dropped `tzinfo=` in datetime(1970, 1, 1, tzinfo=timezone.utc)",
    ],
    "a job is never live and dropped at once; warehouse records have no submit_state, so the ledger "
    "filter finds nothing for them": [
        "backends/snowflake/joblist.py:JobLister.entries:dropped `dropped=` in entry.update(status=r.get('status'), pool=r.get('compute_pool'), dr...",
        "backends/snowflake/joblist.py:JobLister.entries:'kind'  ->  'kin'",
    ],
}

EQUIVALENT: dict[str, str] = {name: reason for reason, names in REASONS.items() for name in names}
