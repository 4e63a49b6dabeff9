"""The `snowbatch` command line: `entry` (the console script; `serve` starts without loading the rest),
`serve` (its arguments), `main` (the typer app with every other command) and the commands' helpers.

Nothing is imported here, so `snowbatch serve` loads only what serving needs."""
