"""The scripted assistant's batch-inference-warehouse steps (a mixin of evals.assistant.Assistant)."""

from __future__ import annotations

from typing import Any

from evals.flow_base import FlowBase
from evals.session import FlowError


class WarehouseFlow(FlowBase):
    # --- batch-inference-warehouse --------------------------------------------------------------
    async def warehouse(self) -> None:
        # Step 1: skip what the entry settled (the model exists; its versions and functions); keep
        # versions runnable in the warehouse; function
        runnable = self.runnable_versions("WAREHOUSE")
        if not runnable:
            raise FlowError("no version is runnable in the warehouse")
        version = self.facts.get("version")
        if len(runnable) > 1 and not version:
            version = self.ask("warehouse.version", ", ".join(runnable))
        await self.functions_of(version)
        function = self.facts.get("function")
        if self.functions.get("function_name_needed") and not function:
            function = self.ask(
                "warehouse.function", ", ".join(f["name"] for f in self.functions["functions"])
            )
        # Step 2: input
        table = self.facts.get("table") or self.ask("warehouse.input")
        fit = await self.rec.ok(
            "describe_input", {"table": table, "model": self.model, "version": version, "function": function}
        )
        failing = [c for c in fit.get("fit", []) if c.get("status") == "fail"]
        if failing:
            for c in failing:
                self.error_seen(
                    "describe_input", c.get("message", ""), check=c.get("name"), fix=c.get("fix", "")
                )
            self.ask("warehouse.input_fix", "; ".join(c.get("message", "") for c in failing))
            return
        # Step 3: run it now
        base = {"model": self.model, "version": version, "function": function, "table": table}
        while True:
            choice = self.ask("warehouse.run_choice", "1. preview  2. write to a table  3. code only")
            if choice == "done":
                return
            if choice == "preview":
                preview = await self.rec.ok("preview_in_warehouse", {**base, "preview_limit": 10})
                self.observed["warehouse_preview"] = preview.get("result", preview)
            elif isinstance(choice, dict) and "table" in choice:
                # always try a few rows first, then the gated write
                await self.rec.ok("preview_in_warehouse", {**base, "preview_limit": 3})
                written = await self.rec.gated_call(
                    "run_in_warehouse", {**base, "output_table": choice["table"]}
                )
                job_id = (written.get("result") or {}).get("job_id")
                if job_id:
                    await self.wait(job_id)  # a warehouse job: DONE means the table is written
                described = await self.rec.ok("describe_input", {"table": choice["table"]})
                self.observed["table"] = {
                    "name": choice["table"],
                    "rows": described.get("row_count"),
                    "columns": [c["name"] for c in described.get("columns", [])],
                }
            elif isinstance(choice, dict) and "code" in choice:
                await self.sql_form(str(choice["code"]), {**base, "ref": choice.get("ref")})
            elif choice == "code":
                code = await self.rec.ok(
                    "generate_code",
                    {
                        "template": "warehouse_run_snowpark",
                        "parameters": {
                            "model": self.model,
                            "version": version,
                            "function_name": function,
                            "input_table": table,
                        },
                    },
                )
                self.observed["code"] = bool(code.get("code"))

    async def sql_form(self, template: str, base: dict[str, Any]) -> None:
        """Step 4 for a SQL form: ask which outputs become columns (meanings from show_model_functions),
        then render with preview_rows so the person sees the values that SQL returns."""
        function: dict[str, Any] = next(
            (
                f
                for f in self.functions.get("functions", [])
                if f["name"].upper() == str(base["function"]).upper()
            ),
            {},
        )
        shown = "; ".join(filter(None, [", ".join(function.get("outputs", [])), function.get("meaning")]))
        wanted = self.ask("warehouse.outputs", shown)
        types = {
            o.split(":")[0].strip().strip('"'): o.split(":")[-1].strip() for o in function.get("outputs", [])
        }
        parameters: dict[str, Any] = {
            "model": self.model,
            "version": base["version"] or self.functions.get("version"),
            "function_name": base["function"],
            "columns": [i.split(":")[0].strip() for i in function.get("inputs", [])],
            "input_table": base["table"],
            "outputs": [{"name": n, "type": types.get(n, "DOUBLE"), "as": c} for n, c in wanted.items()],
        }
        if template == "dbt_model":
            parameters["dbt_ref"] = base.get("ref") or "customers"
        code = await self.rec.ok(
            "generate_code", {"template": template, "parameters": parameters, "preview_rows": 5}
        )
        self.observed["sql_form"] = {"code": code.get("code"), "preview": code.get("preview")}
