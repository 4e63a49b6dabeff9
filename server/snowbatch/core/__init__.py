"""Pure domain logic: no I/O, no heavy imports. Most tests live here."""
