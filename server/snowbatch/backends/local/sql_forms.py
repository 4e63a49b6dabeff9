"""The SQL form of a model call, evaluated on the local account.

`MODEL(db.sc.m, v)!FN(args)` becomes a DuckDB function that runs the packaged model and returns a STRUCT
of the signature's outputs — the OBJECT a Snowflake FUNCTION method returns, keyed by the output names
in their own case (docs/snowflake-fidelity.md F43) — so `r['output_feature_1']::DOUBLE` reads the same
field here as there. The rest of the statement is the SQL the person pastes, parsed with sqlglot's
Snowflake dialect and run by DuckDB: what a preview shows is what the pipeline computes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from snowbatch.backends.local.warehouse import load_model
from snowbatch.core.codegen_outputs import SQL_TYPES
from snowbatch.core.errors import InvalidRequest
from snowbatch.core.names import Identifier, ObjectName, SchemaName, qualify
from snowbatch.core.signatures import FunctionInfo, find_function

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from snowbatch.backends.local.registry import LocalRegistry

# signature types -> DuckDB types: the casts the SQL forms render (one table), plus BYTES for arguments
DUCK_TYPES = {**SQL_TYPES, "BYTES": "BLOB"}
TABLE_FORM = (
    "The local account evaluates the scalar SQL form only; TABLE(MODEL(...)!FN(...)) runs on Snowflake.",
    "Preview this function with preview_in_warehouse (it runs the same method), or on a Snowflake account.",
)


def _duck_type(dtype: str, where: str) -> str:
    if dtype not in DUCK_TYPES:
        raise InvalidRequest(
            f"{where} has type {dtype}, which the local SQL form cannot pass through DuckDB.",
            "Preview this function with preview_in_warehouse instead.",
        )
    return DUCK_TYPES[dtype]


def _register(con: duckdb.DuckDBPyConnection, name: str, model: Any, function: FunctionInfo) -> None:
    import duckdb
    import duckdb.func
    import pandas as pd
    import pyarrow as pa

    inputs = [(f.name, _duck_type(f.dtype, f"Input {f.name}")) for f in function.inputs]
    outputs = [(f.name, _duck_type(f.dtype, f"Output {f.name}")) for f in function.outputs]
    method = getattr(model, function.target_method)

    def run(*arrays: Any) -> Any:
        frame = pd.DataFrame({n: a.to_pandas() for (n, _), a in zip(inputs, arrays, strict=True)})
        result = method(frame)
        return pa.StructArray.from_arrays(
            [pa.array(result[n]) for n, _ in outputs], names=[n for n, _ in outputs]
        )

    # DuckDB takes a Python function of fixed arity; the signature says how many arguments there are.
    args = ", ".join(f"a{i}" for i in range(len(inputs)))
    scope: dict[str, Any] = {"run": run}
    exec(f"def call({args}):\n    return run({args})", scope)  # only the names a0, a1, … are formatted
    con.create_function(
        name,
        scope["call"],
        [duckdb.sqltype(t) for _, t in inputs],
        duckdb.struct_type({n: duckdb.sqltype(t) for n, t in outputs}),
        type=duckdb.func.PythonUDFType.ARROW,
    )


def _parse(sql: str) -> Any:
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(sql, read="snowflake") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise InvalidRequest(
            f"The SQL does not parse as Snowflake SQL: {str(exc).splitlines()[0]}",
            "Render it again with generate_code; hand edits must stay one SELECT.",
        ) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise InvalidRequest("A preview runs exactly one SELECT.", "Preview the SELECT part of the code.")
    return statements[0]


def evaluate(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    registry: LocalRegistry,
    default: SchemaName,
    limit: int,
) -> pd.DataFrame:
    """Run one SELECT containing MODEL(...)!FN(...) calls on the local account, at most `limit` rows."""
    from sqlglot import exp

    tree = _parse(sql)
    for number, call in enumerate(list(tree.find_all(exp.ModelAttribute))):
        if call.find_ancestor(exp.TableFromRows, exp.Window) is not None:
            raise InvalidRequest(*TABLE_FORM)
        model_args = call.this.expressions
        model = qualify(ObjectName.parse(model_args[0].sql(dialect="snowflake"), what="model"), default)
        version = Identifier.parse(model_args[1].sql(dialect="snowflake")) if len(model_args) > 1 else None
        resolved = registry.resolve_version(model, version)
        method = call.expression
        typed = (
            method.this.sql(dialect="snowflake") if isinstance(method.this, exp.Expression) else method.this
        )
        function = find_function(registry.version_detail(model, resolved).functions, typed)
        if len(method.expressions) != len(function.inputs):
            wanted = ", ".join(f.name for f in function.inputs)
            raise InvalidRequest(
                f"{function.name} takes {len(function.inputs)} arguments ({wanted}); the SQL passes "
                f"{len(method.expressions)}.",
                "Pass the signature's inputs in order (show_model_functions lists them).",
            )
        name = f"snowbatch_model_call_{number}"
        _register(con, name, load_model(registry.version_path(model, resolved)), function)
        call.replace(exp.Anonymous(this=name, expressions=list(method.expressions)))
    runnable = tree.sql(dialect="snowflake", normalize_functions=False)
    return con.execute(f"SELECT * FROM ({runnable}) LIMIT {int(limit)}").df()
