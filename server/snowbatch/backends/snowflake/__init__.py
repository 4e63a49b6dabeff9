"""The Snowflake backend. Importing this package imports no Snowflake, pandas or pyarrow module."""

from snowbatch.backends.snowflake.backend import SnowflakeBackend

__all__ = ["SnowflakeBackend"]
