"""Settings, read from the environment (prefix ``REGULARS_``) or a ``.env`` file."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGULARS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///regulars-data/regulars.db"
    """``sqlite:///path`` (embedded default) or ``postgresql://user@host:5432/db``."""

    pool_size: int = 20
    """Connections each API process keeps open (up to twice as many more under a burst,
    closed when returned). Sync endpoints run in a pool of 40 threads per process; below 20
    the pool opened and closed PostgreSQL sessions all the time at 32 concurrent tills."""
    host: str = "127.0.0.1"
    port: int = 8000
