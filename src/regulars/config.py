"""Settings, read from the environment (prefix ``REGULARS_``) or a ``.env`` file."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGULARS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///regulars-data/regulars.db"
    """``sqlite:///path`` (embedded default) or ``postgresql://user@host:5432/db``."""

    pool_size: int = 20
    """Connections each API process keeps open (up to twice as many more under a burst,
    closed when returned). Sync endpoints run in a pool of 40 threads per process; below 20
    the pool opened and closed PostgreSQL sessions all the time at 32 concurrent tills."""
    sqlite_busy_timeout_seconds: float = 30.0
    """How long a SQLite unit of work waits for another writer's lock before the request is
    answered 503 (nothing written, send it again)."""
    principal_cache_seconds: float = 5.0
    """How long a process trusts an API key it has found valid without reading it again (0:
    read it on every request). A key or till revoked in one process is refused by the
    others at the latest this long after the revocation committed."""
    gc_freeze: bool = True
    """Once an API process has started, move everything it holds into the garbage
    collector's permanent generation (``gc.freeze``): a full collection then scans only what
    requests created since, instead of every module, schema and table the process loaded,
    which paused all of the process's requests at once for tens of milliseconds."""
    public_url: str | None = None
    """The address people open Regulars at (e.g. ``https://loyalty.example.com``), for the
    links Regulars hands out: staff invitations. Unset: the address of the request (and
    ``http://<host>:<port>`` for the command line)."""
    max_body_bytes: int = 1_048_576
    """The largest request body a process reads (larger ones answer 413 before they are
    read); every free-text field has its own, smaller limit besides."""
    max_import_bytes: int = 256 * 1_048_576
    """The largest file upload to import (API and console) a process takes; it is spooled
    to a temporary file, never held in memory whole."""
    import_staging_dir: str | None = None
    """Where the console keeps an uploaded import file between its preview and its import
    (readable by the server's user only; a file is removed once imported, or after a day).
    Unset: ``regulars-imports`` in the system's temporary directory. Processes serving one
    business must share it (one machine, or a shared directory)."""
    api_auth_failures_free: int = 10
    """Wrong API keys one client may send before each further one waits, twice as long as
    the last (1 s up to 5 minutes; 429 with Retry-After meanwhile)."""
    host: str = "127.0.0.1"
    port: int = 8000

    sms_sender: Literal["log", "http"] = "log"
    """How one-time codes reach members: ``log`` writes them to the server log; ``http`` posts
    them to ``sms_http_url``."""
    sms_http_url: str | None = None
    sms_http_token: str | None = None
    sms_log_allowed: bool = False
    """Let ``regulars serve`` and ``regulars worker`` start with ``sms_sender=log``, which
    writes a line per message to the log: channel, masked number, template and length, never
    the text (the demo and tests allow it; production should not)."""
    sms_log_text: bool = False
    """Print each text message's text on the terminal with ``sms_sender=log``: only
    ``regulars demo`` sets it, whose people are made up, so that its one-time codes can be
    typed on the customer page."""
    smtp_host: str | None = None
    """The SMTP server e-mail messages go through (unset: e-mail is not sent)."""
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "regulars@localhost"
    channel_plugins: str = ""
    """Channel plug-ins to load besides the installed ones (entry points of the
    ``regulars.channels`` group): ``name=module:callable``, separated by commas."""
    scheduler: bool = True
    """Run the scheduled jobs (expiry, rewards, messages, webhooks) inside ``regulars serve``
    and ``demo``. Set ``REGULARS_SCHEDULER=false`` when a ``regulars worker`` runs them."""
    scheduler_poll_seconds: float = 5.0
    webhook_private_addresses_allowed: bool = False
    """Let webhooks go to loopback, link-local and private addresses (a test receiver, or
    systems on the operator's own network)."""
    webhook_timeout_seconds: float = 10.0
    """How long a webhook delivery waits to connect, and then for each part of the answer,
    before the attempt counts as failed (and is tried again later)."""
    otp_per_tenant_per_minute: int = 120
    """One-time codes a tenant's customer page and tills may ask for per minute, in all."""
    otp_per_client_per_hour: int = 10
    """One-time codes one client address may ask for per hour (sign-in page)."""
    personal_data_key: str = ""
    """The secret personal identifiers are protected with: phone numbers, card numbers and QR
    tokens are stored encrypted (AES-256-GCM) under a key derived from it and found through a
    keyed blind index, and one-time-code rows keep a keyed hash of the number. Set a long
    random value in production and keep it out of the database's backups. Unset: a built-in
    development key, which protects nothing (``serve`` and ``worker`` refuse it unless
    ``personal_data_development_key_allowed``)."""
    personal_data_old_keys: str = ""
    """Earlier values of ``personal_data_key`` (separated by commas), kept so that values
    encrypted under them are still read while ``regulars keys rotate`` re-encrypts them under
    the current one; drop them once it has finished."""
    personal_index_key: str = ""
    """The secret the blind index of identifiers is keyed from (unset: ``personal_data_key``).
    Set it to the old ``personal_data_key`` when rotating the encryption key alone; changing
    it needs a re-index (``regulars keys rotate --reindex``)."""
    personal_data_development_key_allowed: bool = False
    """Let ``regulars serve`` and ``regulars worker`` start without ``personal_data_key`` (the
    demo and tests allow it; production should not)."""
    secure_cookies: bool = False
    """Mark session cookies ``Secure`` (set it when Regulars is served over HTTPS). A
    request that came over HTTPS gets every cookie ``Secure`` and an HSTS header anyway."""
    trust_forwarded_proto: bool = False
    """Believe the ``X-Forwarded-Proto`` header on whether a request came over HTTPS: set it
    only behind a proxy that ends TLS and sets the header itself (a client could send it)."""
