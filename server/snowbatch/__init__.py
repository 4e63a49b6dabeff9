"""snowbatch: batch inference on the Snowflake Model Registry for AI coding assistants."""

__version__ = "0.1.0"
