"""The embedded local account: DuckDB tables, stage folders, packaged models, jobs as processes."""
