"""All I/O lives here: the Backend protocol and its two implementations."""
