"""Registry discovery: models, versions, and the functions a version offers."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from snowbatch.app import App
from snowbatch.core.compute import Compute, compute_for
from snowbatch.core.names import Identifier, ObjectName
from snowbatch.core.output_meaning import output_meaning
from snowbatch.core.records import ModelSummary, Page, VersionDetail, VersionInfo
from snowbatch.core.signatures import FunctionInfo
from snowbatch.tools._common import READ_ONLY, object_name, schema_name, tool_errors


class FunctionView(BaseModel):
    """One function, said once: the flow per input kind is in ModelFunctions.flows; what holds for most
    functions (FUNCTION, no params, not partitioned) is left out."""

    name: str
    target_method: str
    input_kind: str
    inputs: list[str]
    outputs: list[str]
    function_type: str | None = Field(None, description="TABLE_FUNCTION when not a plain FUNCTION")
    params: list[str] | None = None
    partitioned: bool | None = None
    meaning: str | None = Field(None, description="what each output is, where known")


class ModelFunctions(BaseModel):
    model: str
    version: str
    versions: list[str] | None = Field(
        None, description="all versions when none was asked for (this shows the default); several: ask which"
    )
    model_type: str | None
    task: str | None
    runnable_in: list[str]
    gpu: str = Field(description="required, recommended or pointless; gpu_reason says why")
    gpu_reason: str
    approach: str = Field(description="suggested approach: warehouse run() or a batch job")
    warehouse_runnable: bool = Field(
        False, description="this version can run in a warehouse (run_in_warehouse)"
    )
    warehouse: str = Field("", description="how to run it in a warehouse, or what to do instead")
    function_name_needed: bool = Field(description="false when there is one function: omit function=")
    flows: dict[str, str] = Field(default_factory=dict, description="input kind -> the skill to follow")
    functions: list[FunctionView]


class VersionList(BaseModel):
    model: str
    versions: list[VersionInfo]
    default_version: str | None
    advice: str


FLOWS = {
    "tabular": "a table or inline rows: batch-inference-jobs, or batch-inference-warehouse",
    "files": "stage files with column_handling: batch-inference-files",
    "chat": "OpenAI messages: batch-inference-chat",
}


def _view(f: FunctionInfo, meaning: str | None = None) -> FunctionView:
    return FunctionView(
        name=f.name,
        target_method=f.target_method,
        input_kind=f.input_kind,
        inputs=[i.describe() for i in f.inputs],
        outputs=[o.describe() for o in f.outputs],
        function_type=None if f.function_type == "FUNCTION" else f.function_type,
        params=[f"{p.name}: {p.dtype} = {p.default!r}" for p in f.params] or None,
        partitioned=True if f.is_partitioned else None,
        meaning=meaning,
    )


def register(server: MCPServer, app: App) -> None:
    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_models(
        database: str | None = None,
        schema: str | None = None,
        like: str | None = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
        cursor: str | None = None,
    ) -> Page[ModelSummary]:
        """Models in a schema (default: the connection's) with their default version. like: a SQL LIKE
        pattern."""
        return app.backend.list_models(
            schema_name(app, database, schema), like=like, limit=limit, cursor=cursor
        )

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def list_model_versions(model: str) -> VersionList:
        """A model's versions: default, aliases, created, where each runs."""
        name = object_name(app, model, "model")
        versions = app.backend.list_model_versions(name)
        default = next((v.version for v in versions if v.is_default), None)
        advice = (
            "One version: use it."
            if len(versions) == 1
            else f"{len(versions)} versions: ask the person which one (default {default})."
        )
        return VersionList(model=str(name), versions=versions, default_version=default, advice=advice)

    @server.tool(annotations=READ_ONLY)
    @tool_errors
    def show_model_functions(model: str, version: str | None = None) -> ModelFunctions:
        """A version's functions (default version if none): signatures, output meanings, flow,
        warehouse or not; and the versions."""
        name = object_name(app, model, "model")
        detail = app.backend.version_detail(name, Identifier.parse(version) if version else None)
        # One call instead of list_model_versions + show_model_functions when the person named only the
        # model (the usual case); with a version given, nothing more is fetched.
        versions = None if version else [v.version for v in app.backend.list_model_versions(name)]
        compute = compute_for(detail)
        if compute.warehouse:
            approach = "either: warehouse run() (SQL, dbt) or a batch job (large scale)"
        else:
            approach = f"batch job (run_batch): not a warehouse, as {compute.warehouse_reason}"
        return ModelFunctions(
            model=str(name),
            version=detail.version,
            versions=versions,
            model_type=detail.model_type,
            task=detail.task,
            runnable_in=detail.runnable_in,
            gpu=compute.gpu,
            gpu_reason=compute.gpu_reason,
            approach=approach,
            **_warehouse_fields(compute),
            function_name_needed=len(detail.functions) > 1,
            flows={k: FLOWS[k] for k in sorted({f.input_kind for f in detail.functions})},
            functions=_views(app, name, detail),
        )


def _views(app: App, model: ObjectName, detail: VersionDetail) -> list[FunctionView]:
    """Each function, with what its outputs mean where that can be said (core.output_meaning); the
    labels are read only when some function has per-class outputs."""
    labels = None
    if any(output_meaning(f, detail.task, None) for f in detail.functions):
        labels = app.backend.class_labels(model, Identifier.parse(detail.version))
    return [_view(f, output_meaning(f, detail.task, labels)) for f in detail.functions]


def _warehouse_fields(compute: Compute) -> dict[str, Any]:
    """Whether run_in_warehouse applies to this version, and the way forward when it does not."""
    if compute.warehouse:
        return {
            "warehouse_runnable": True,
            "warehouse": "preview_in_warehouse; run_in_warehouse (gated) writes a table; generate_code: "
            "SQL, dbt, Dynamic Table.",
        }
    return {
        "warehouse_runnable": False,
        "warehouse": "Run it as a batch job on a compute pool: plan_batch_job, then submit_batch_job.",
    }
