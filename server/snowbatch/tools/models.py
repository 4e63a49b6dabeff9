"""Registry discovery: models, versions, and the functions a version offers."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.names import Identifier
from snowbatch.core.records import ModelSummary, Page, VersionDetail, VersionInfo
from snowbatch.core.signatures import FunctionInfo
from snowbatch.tools._common import READ_ONLY, object_name, schema_name, tool_errors


class FunctionView(BaseModel):
    name: str
    target_method: str
    function_type: str
    input_kind: str
    flow: str = Field(description="which flow/skill applies")
    inputs: list[str]
    outputs: list[str]
    params: list[str]
    partitioned: bool


class ModelFunctions(BaseModel):
    model: str
    version: str
    versions: list[str] | None = Field(
        None, description="all versions when none was asked for (this shows the default); several: ask which"
    )
    model_type: str | None
    task: str | None
    runnable_in: list[str]
    needs_gpu: bool
    approach: str = Field(description="suggested approach: warehouse run() or a batch job")
    warehouse_runnable: bool = Field(
        False, description="this version can run in a warehouse (run_in_warehouse)"
    )
    warehouse: str = Field("", description="how to run it in a warehouse, or what to do instead")
    function_name_needed: bool = Field(description="false when there is one function: omit function=")
    functions: list[FunctionView]


class VersionList(BaseModel):
    model: str
    versions: list[VersionInfo]
    default_version: str | None
    advice: str


_FLOWS = {
    "tabular": "tabular: a table or inline rows (skill batch-inference-jobs, or batch-inference-warehouse)",
    "files": "files (non-template): stage files → column_handling (skill batch-inference-files)",
    "chat": "chat (template): OpenAI messages with stage paths (skill batch-inference-chat)",
}


def _view(f: FunctionInfo) -> FunctionView:
    return FunctionView(
        name=f.name,
        target_method=f.target_method,
        function_type=f.function_type,
        input_kind=f.input_kind,
        flow=_FLOWS[f.input_kind],
        inputs=[i.describe() for i in f.inputs],
        outputs=[o.describe() for o in f.outputs],
        params=[f"{p.name}: {p.dtype} = {p.default!r}" for p in f.params],
        partitioned=f.is_partitioned,
    )


def register(server: MCPServer, app: App) -> None:
    @server.tool(title="List models", annotations=READ_ONLY)
    @tool_errors
    def list_models(
        database: str | None = None,
        schema: str | None = None,
        like: str | None = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
        cursor: str | None = None,
    ) -> Page[ModelSummary]:
        """Models in a schema (default: the connection's) with version count, default version, comment.
        `like` is a SQL LIKE pattern (case-insensitive). Paginated: pass next_cursor back as cursor."""
        return app.backend.list_models(
            schema_name(app, database, schema), like=like, limit=limit, cursor=cursor
        )

    @server.tool(title="List model versions", annotations=READ_ONLY)
    @tool_errors
    def list_model_versions(model: str) -> VersionList:
        """Versions of a model (DB.SCHEMA.MODEL): default flag, aliases, created, where each can run."""
        name = object_name(app, model, "model")
        versions = app.backend.list_model_versions(name)
        default = next((v.version for v in versions if v.is_default), None)
        advice = (
            "One version: use it."
            if len(versions) == 1
            else f"{len(versions)} versions: ask the person which one (default {default})."
        )
        return VersionList(model=str(name), versions=versions, default_version=default, advice=advice)

    @server.tool(title="Show model functions", annotations=READ_ONLY)
    @tool_errors
    def show_model_functions(model: str, version: str | None = None) -> ModelFunctions:
        """Functions of a model version (default: the default version) with signatures, the input kind
        (tabular / files / chat), which flow applies, and whether it can run in a warehouse. Without
        version it also lists the model's versions, so one call answers "which version, which function"."""
        name = object_name(app, model, "model")
        detail = app.backend.version_detail(name, Identifier.parse(version) if version else None)
        # One call instead of list_model_versions + show_model_functions when the person named only the
        # model (the usual case); with a version given, nothing more is fetched.
        versions = None if version else [v.version for v in app.backend.list_model_versions(name)]
        kinds = {f.input_kind for f in detail.functions}
        if not detail.runs_in_warehouse:
            approach = "batch job (run_batch): this version cannot run in a warehouse"
        elif kinds & {"files", "chat"} or detail.needs_gpu:
            approach = "batch job (run_batch): files, chat or GPU models need SPCS"
        else:
            approach = "either: warehouse run() for SQL pipelines/dbt, or a batch job for large scale"
        return ModelFunctions(
            model=str(name),
            version=detail.version,
            versions=versions,
            model_type=detail.model_type,
            task=detail.task,
            runnable_in=detail.runnable_in,
            needs_gpu=detail.needs_gpu,
            approach=approach,
            **_warehouse_fields(detail),
            function_name_needed=len(detail.functions) > 1,
            functions=[_view(f) for f in detail.functions],
        )


def _warehouse_fields(detail: VersionDetail) -> dict[str, Any]:
    """Whether run_in_warehouse applies to this version, and the way forward when it does not."""
    if detail.runs_in_warehouse:
        return {
            "warehouse_runnable": True,
            "warehouse": "preview_in_warehouse(model, version, function, table= or query=) shows a few "
            "rows; run_in_warehouse(..., output_table=) writes a table (approval needed); SQL/dbt/Dynamic "
            "Table code via generate_code (sql_model_function, dbt_model, dynamic_table).",
        }
    places = ", ".join(detail.runnable_in) or "SNOWPARK_CONTAINER_SERVICES"
    why = "it needs a GPU" if detail.needs_gpu else f"runnable only in {places}"
    return {
        "warehouse_runnable": False,
        "warehouse": f"Not runnable in a warehouse ({why}): run it as a batch job on a compute pool — "
        "plan_batch_job, then submit_batch_job.",
    }
