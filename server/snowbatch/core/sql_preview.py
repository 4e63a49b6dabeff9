"""Which SELECT a preview of a SQL form runs: the same model call, fields and names the person pastes.

The three SQL forms (a SELECT, a dbt model, a Dynamic Table) share one SELECT (templates/_sql.j2). A
preview renders that SELECT from the same parameters with the input cut to the preview's rows inside
(the model never scores more than that), so its values are the pipeline's values for those rows. For a
dbt model the input is the table `ref()` reads, given as `input_table`: dbt resolves `ref()`, we do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snowbatch.core.errors import InvalidRequest

SQL_FORMS = ("sql_model_function", "dbt_model", "dynamic_table")
# The parameters the shared SELECT reads; the rest (dbt_ref, dynamic_table, target_lag, …) shape the
# statement around it.
SELECT_PARAMETERS = (
    "model",
    "version",
    "function_name",
    "input_table",
    "columns",
    "output_column",
    "outputs",
    "single_value",
    "table_function",
    "partition_column",
)


def preview_parameters(template: str, parameters: Mapping[str, Any], rows: int) -> dict[str, Any]:
    """The sql_model_function parameters whose SELECT is `template`'s, on at most `rows` input rows."""
    if template not in SQL_FORMS:
        raise InvalidRequest(
            f"preview_rows runs SQL forms only ({', '.join(SQL_FORMS)}); {template} is not one.",
            "Leave preview_rows out; a job's rows are previewed by wait_for_job or preview_results.",
        )
    if "input_table" not in parameters:
        raise InvalidRequest(
            "A dbt model's preview needs input_table: the table ref() reads, which dbt resolves.",
            "Pass input_table (DB.SCHEMA.TABLE) with preview_rows.",
        )
    chosen = {k: parameters[k] for k in SELECT_PARAMETERS if k in parameters}
    return {**chosen, "limit": rows}


def runnable_select(code: str) -> str:
    """The statement of a rendered sql_model_function: its comment lines and final semicolon removed."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip().removesuffix(";").strip()
