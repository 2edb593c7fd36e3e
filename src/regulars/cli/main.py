"""The ``regulars`` command line."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from regulars.cli.exports import export
from regulars.cli.imports import import_app
from regulars.cli.keys import keys_app
from regulars.cli.simulate import simulate
from regulars.config import Settings
from regulars.errors import RegularsError, Unavailable
from regulars.services.audit import audit
from regulars.services.jobs import scheduler
from regulars.services.ledger import admin as ledger_admin
from regulars.services.rewards import job as rewards_job
from regulars.services.runtime import (
    open_existing_runtime,
    open_runtime,
    refuse_development_key,
    upgrade_schema,
)
from regulars.services.stamps import expiry as stamp_expiry
from regulars.services.stored_value import expiry as stored_value_expiry
from regulars.services.tenancy import staff_access, tenants

app = typer.Typer(help="Regulars: an open-source loyalty platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (businesses).", no_args_is_help=True)
ledger_app = typer.Typer(help="The points ledger.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
rewards_app = typer.Typer(help="Referral, birthday and other action rewards.",
                          no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(rewards_app, name="rewards")
i18n_app = typer.Typer(help="Translations: the gettext catalogs of the pages and messages.",
                       no_args_is_help=True)
app.add_typer(i18n_app, name="i18n")
audit_app = typer.Typer(help="The audit trail of changes by staff and API keys.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
app.add_typer(keys_app, name="keys")
app.command("export")(export)
app.command("simulate")(simulate)

console = Console()
WORKER_PING_S = 60
err = Console(stderr=True)

DatabaseOpt = Annotated[str | None, typer.Option(
    "--database-url", envvar="REGULARS_DATABASE_URL",
    help="sqlite:///path or postgresql://user@host:5432/db")]


def _settings(database_url: str | None) -> Settings:
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def fail(message: str) -> typer.Exit:
    err.print(Text.assemble(("error: ", "red"), message), soft_wrap=True)
    return typer.Exit(code=2)


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Apply every pending migration (safe to run again). A database that holds a business
    is refused without REGULARS_PERSONAL_DATA_KEY (a migration may encrypt its members' and
    staff's numbers); an empty one is not."""
    settings = _settings(database_url)
    url = upgrade_schema(settings)
    console.print(f"schema is up to date at {_redact(url)}")
    if not settings.personal_data_key and not settings.personal_data_development_key_allowed:
        err.print("note: set REGULARS_PERSONAL_DATA_KEY to a long random secret before "
                  "`regulars tenant create`, `serve` or `worker`: they refuse to run without "
                  "it", soft_wrap=True)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="the business's name")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code, e.g. EUR")] = "EUR",
    locale: Annotated[str, typer.Option(help="e.g. en_GB, ru_RU")] = "en_GB",
    timezone: Annotated[str, typer.Option(help="IANA zone, e.g. Europe/Berlin")] = "UTC",
    phone_region: Annotated[str, typer.Option(help="default phone region, e.g. GB")] = "GB",
    owner_name: Annotated[str, typer.Option(help="the owner's name")] = "Owner",
    owner_email: Annotated[str, typer.Option(
        help="the owner's e-mail (else they give it when they open the link)")] = "",
    public_url: Annotated[str | None, typer.Option(
        envvar="REGULARS_PUBLIC_URL",
        help="the address Regulars is served at, for the link")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a business with its owner; print the owner's set-password link (it works once,
    for 72 hours) and the first owner key for integrations (both shown once). Refused
    without REGULARS_PERSONAL_DATA_KEY: the business's members and staff will be encrypted
    under it."""
    settings = _settings(database_url)
    refuse_development_key(settings)
    with open_runtime(settings, migrate=True) as rt:
        try:
            created = staff_access.create_business(
                rt, name=name, currency=currency.upper(), locale=locale, timezone=timezone,
                phone_region=phone_region.upper(), owner_name=owner_name,
                owner_email=owner_email)
        except RegularsError as exc:
            raise fail(_message(exc)) from exc
    base = public_url or f"http://{settings.host}:{settings.port}"
    console.print(f"tenant {created.tenant_id} created")
    console.print("owner's console sign-in (open it to choose a password; works once, "
                  f"for 72 hours): {created.owner.url(base)}", soft_wrap=True)
    console.print(f"owner key (shown once, keep it safe): [bold]{created.owner_key}[/bold]")


@tenant_app.command("add-store")
def tenant_add_store(
    tenant: Annotated[int, typer.Option("--tenant", min=1, help="the business's id")],
    code: Annotated[str, typer.Option(
        help="1 to 32 Latin letters, digits, - or _; it never changes")],
    name: Annotated[str, typer.Option(help="unique within the business, whatever the case")],
    database_url: DatabaseOpt = None,
) -> None:
    """Add a store to a business (its tills with ``tenant add-till``; staff in the console or
    the API)."""
    with open_runtime(_settings(database_url), migrate=True) as rt:
        try:
            tenants.tenant_info(rt, tenant)
            store = tenants.create_store(rt, tenant, code=code, name=name, actor=audit.SYSTEM)
        except RegularsError as exc:
            raise fail(_message(exc)) from exc
    console.print(f"store {store.id} added: {store.code} ({store.name})")


@tenant_app.command("add-till")
def tenant_add_till(
    tenant: Annotated[int, typer.Option("--tenant", min=1, help="the business's id")],
    store: Annotated[int, typer.Option("--store", min=1, help="the store's id")],
    code: Annotated[str, typer.Option(
        help="1 to 32 Latin letters, digits, - or _, unique within the business")],
    name: Annotated[str, typer.Option(help="as the console shows it (default: the code)")] = "",
    database_url: DatabaseOpt = None,
) -> None:
    """Add a till to a store and print its key (shown this once; it is stored hashed)."""
    with open_runtime(_settings(database_url), migrate=True) as rt:
        try:
            tenants.tenant_info(rt, tenant)
            till = tenants.create_terminal(rt, tenant, store_id=store, code=code, name=name,
                                           actor=audit.SYSTEM)
        except RegularsError as exc:
            raise fail(_message(exc)) from exc
    console.print(f"till {till.id} added: {till.code}")
    console.print(f"till key (shown once, keep it safe): [bold]{till.key}[/bold]")


@app.command()
def expire(database_url: DatabaseOpt = None,
           batch_size: Annotated[int, typer.Option(
               min=1, max=100_000, help="member accounts per transaction")] = 2000,
           workers: Annotated[int, typer.Option(
               min=1, max=8, help="connections expiring batches at once (PostgreSQL)")] = 2,
           ) -> None:
    """Expire every lot that is due now, as ledger entries: one entry per member for all of
    its due lots, what is left on expired gift certificates and goods purchases (breakage) and
    stamps past their card's days; a second run writes nothing."""
    with open_runtime(_settings(database_url), migrate=True) as rt:
        due = ledger_admin.count_due(rt)
        with progress_bar() as bar:
            task = bar.add_task("expiring lots", total=due)
            report = ledger_admin.expire(rt, batch_size=batch_size, workers=workers,
                                         progress=lambda n: bar.advance(task, n))
        breakage = stored_value_expiry.expire(rt)
        stamps = stamp_expiry.expire(rt)
    console.print(f"expired {report.points} points in {report.lots} lots "
                  f"({report.entries} entries)")
    console.print(f"expired {stamps.stamps} stamps ({stamps.entries} entries)")
    console.print(f"expired {breakage.amount_minor} minor units left on "
                  f"{breakage.certificates} gift certificates (breakage)")
    console.print(f"expired {breakage.goods_milli / 1000:g} units of goods on "
                  f"{breakage.goods_accounts} goods accounts (breakage)")


@rewards_app.command("run")
def rewards_run(database_url: DatabaseOpt = None,
                batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 500) -> None:
    """Pay first-purchase referrals and today's birthday bonuses, and give members without
    one a referral code. Run it hourly: every payment is keyed, so a second run pays nothing
    more."""
    with open_runtime(_settings(database_url), migrate=True) as rt:
        report = rewards_job.run(rt, batch_size=batch_size)
    console.print(f"paid {report.referrals_paid} referrals and {report.birthdays_paid} "
                  f"birthday bonuses; gave {report.codes_assigned} members a referral code")


@ledger_app.command("check")
def ledger_check(database_url: DatabaseOpt = None) -> None:
    """Reconcile cached balances with postings and open lots, and the qualifying spend per
    member and day with the receipts; exit 1 on any mismatch. The database is checked as it
    is: one that does not exist or whose schema is not current is refused (exit 2), and
    nothing is created or migrated."""
    with open_existing_runtime(_settings(database_url)) as rt:
        problems = ledger_admin.check(rt)
    if problems:
        for problem in problems[:50]:
            err.print(problem)
        err.print(f"[red]{len(problems)} mismatches[/red]")
        raise typer.Exit(code=1)
    console.print("ledger is consistent: every entry balances, balance = postings = open "
                  "lots − debt for every member, spend per day = receipts")


@audit_app.command("verify")
def audit_verify(database_url: DatabaseOpt = None) -> None:
    """Check every tenant's audit chain: exit 1 naming each altered, removed or reordered
    row. Like ``ledger check``, an absent or outdated database is refused (exit 2)."""
    from regulars.services.audit import audit

    with open_existing_runtime(_settings(database_url)) as rt:
        report = audit.verify(rt)
    if report.problems:
        for problem in report.problems[:50]:
            err.print(problem, soft_wrap=True)
        err.print(f"[red]{len(report.problems)} problems[/red]")
        raise typer.Exit(code=1)
    console.print(f"audit trail intact: {report.rows} rows in {report.tenants} chains")


@app.command()
def serve(
    database_url: DatabaseOpt = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the API (migrating the schema first)."""
    import uvicorn

    settings = _settings(database_url)
    refuse_development_key(settings)
    os.environ["REGULARS_DATABASE_URL"] = settings.database_url
    upgrade_schema(settings)
    _refuse_log_sender(settings)
    logging.getLogger("regulars.db.engine").setLevel(logging.NOTSET)  # the server logs outages
    console.print(f"Regulars API on http://{host}:{port} (docs at /docs), database "
                  f"{_redact(settings.database_url)}")
    # A worker answers its supervisor's ping within WORKER_PING_S: on a busy two-core machine
    # starting one (importing the app) can take longer than uvicorn's 5 s, and the supervisor
    # would then kill and restart it, over and over, without ever serving.
    uvicorn.run("regulars.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning", access_log=False,
                timeout_worker_healthcheck=WORKER_PING_S)


def _refuse_log_sender(settings: Settings) -> None:
    """The ``log`` sender delivers nothing (it writes a line per message, never its text):
    fine for the demo and a developer's machine, not for members waiting for their codes, so
    a server says so unless allowed."""
    if settings.sms_sender == "log" and not settings.sms_log_allowed:
        raise fail("REGULARS_SMS_SENDER is log, which delivers no message (it only notes each "
                   "in the log): set REGULARS_SMS_SENDER=http (and REGULARS_SMS_HTTP_URL), or "
                   "REGULARS_SMS_LOG_ALLOWED=true on a development machine")


@app.command()
def worker(database_url: DatabaseOpt = None,
           once: Annotated[bool, typer.Option(
               "--once", help="run the jobs that are due, then exit")] = False,
           poll_seconds: Annotated[float, typer.Option(min=0.1, max=3600)] = 5.0) -> None:
    """Run the scheduled jobs (expiry, rewards, messages, webhooks) in a process of their
    own. Any number of workers and servers may run: each job runs once at a time. Set
    REGULARS_SCHEDULER=false on the servers when workers run the jobs."""
    settings = _settings(database_url)
    refuse_development_key(settings)
    with open_runtime(settings, migrate=True) as rt:
        _refuse_log_sender(settings)
        if once:
            for run in scheduler.run_due(rt):
                console.print(f"{run.name}: {run.outcome}, {run.detail}")
            return
        console.print(f"Regulars worker on {_redact(settings.database_url)}: Ctrl-C stops it")
        jobs = scheduler.Scheduler(rt, poll_seconds=poll_seconds)
        try:
            jobs.run_forever()
        except KeyboardInterrupt:
            console.print("stopped")


@app.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    reset: Annotated[bool, typer.Option(help="rebuild the demo data from scratch")] = False,
    members: Annotated[int, typer.Option(min=10, max=100_000)] = 2000,
    path: Annotated[str, typer.Option(help="where the demo database lives")] =
        "regulars-data/demo.db",
    no_serve: Annotated[bool, typer.Option("--no-serve", help="build and exit")] = False,
) -> None:
    """Start the platform on SQLite with a demo business and a year of its history."""
    from regulars.services.demo import demo as demo_service

    url = f"sqlite:///{path}"
    if reset or not os.path.exists(path):
        _build_demo(path, members=members)
    _owner_only(path)  # also a demo built before its files were made private
    made_up = _settings(url).model_copy(  # the demo's people are made up
        update={"personal_data_development_key_allowed": True})
    with open_runtime(made_up, migrate=True) as rt:
        info = demo_service.issue_keys(rt)
    _print_demo(info, base=f"http://{host}:{port}")
    if no_serve:
        return
    os.environ["REGULARS_SMS_LOG_ALLOWED"] = "true"
    os.environ["REGULARS_SMS_LOG_TEXT"] = "true"  # made-up people's codes, on its terminal
    os.environ["REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED"] = "true"  # made-up people
    serve(database_url=url, host=host, port=port, workers=1)


def _build_demo(path: str, *, members: int) -> None:
    """Build the demo database beside ``path`` and rename it on success, so an interrupted
    build never leaves a half-made demo that a later start would serve as if it were whole."""
    from regulars.services.demo import demo as demo_service

    building = path + ".building"
    _remove_sqlite(building)
    # Created readable by its owner only before SQLite writes a byte: the demo holds phone
    # numbers and names (its WAL and shared-memory files take the database file's mode).
    os.makedirs(os.path.dirname(building) or ".", exist_ok=True)
    os.close(os.open(building, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with open_runtime(_settings(f"sqlite:///{building}"), migrate=True) as rt, \
                progress_bar() as bar:
            task = bar.add_task("building a year of demo history", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            demo_service.build(rt, members=members, progress=step)
    except BaseException:
        _remove_sqlite(building)
        raise
    _remove_sqlite(path)
    for suffix in ("-wal", "-shm", ""):  # a WAL left behind belongs with its database
        if os.path.exists(building + suffix):
            os.replace(building + suffix, path + suffix)


def _owner_only(path: str) -> None:
    """Make the demo database and its WAL files readable and writable by their owner only."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


def _print_demo(info: dict[str, Any], *, base: str) -> None:
    console.print(f"[bold]Regulars demo[/bold]: {info['tenant_name']} "
                  f"({info['members']} members, {info['receipts']} receipts)")
    console.print(f"  API        {base}/docs")
    console.print(f"  owner key  {info['owner_key']}")
    for till in info["tills"]:
        console.print(f"  till key   {till['key']}  ({till['store']} / {till['code']})")
    console.print(f"  try:  curl -H 'Authorization: Bearer {info['owner_key']}' "
                  f"{base}/v1/admin/tenant")
    web = info["web"]
    console.print(f"\n[bold]Console[/bold]    {base}/console")
    for login in web["logins"]:
        console.print(f"  {login['role']:<9}  {login['email']}  password {login['password']}")
    console.print(f"[bold]Terminal[/bold]   {base}/terminal  (pair with a till key above; "
                  f"cashier {web['cashiers'][0] if web['cashiers'] else '-'}, PIN {web['pin']})")
    console.print(f"[bold]Customer[/bold]   {base}/c/{info['tenant_id']}  (sign in with the "
                  f"phone of a member from the console's Members page, e.g. the one ending "
                  f"{web['member_phone_ending']}; the one-time code shows on this terminal)")


@i18n_app.command("update")
def i18n_update() -> None:
    """Add new messages to every catalog and drop unused ones (translations are kept)."""
    from regulars.text import catalogs

    for language, missing in catalogs.update().items():
        console.print(f"{language}: {missing} messages to translate")


@i18n_app.command("check")
def i18n_check() -> None:
    """List untranslated messages and mismatched placeholders; exit 1 if there are any."""
    from regulars.text import catalogs

    problems = catalogs.check()
    for problem in problems:
        console.print(problem)
    if problems:
        raise typer.Exit(1)
    console.print("every catalog is complete")


def _remove_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.split("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


def _message(exc: RegularsError) -> str:
    """One line for the terminal: the field and detail, or why the database is out of reach
    (a locked SQLite file with the busy timeout that was waited for)."""
    if isinstance(exc, Unavailable):
        text = f"the database is unavailable: {exc.reason or exc.detail}"
        if "locked" in exc.reason:
            waited = Settings().sqlite_busy_timeout_seconds
            text += (f" (another connection holds its write lock; gave up after the busy "
                     f"timeout, REGULARS_SQLITE_BUSY_TIMEOUT_SECONDS={waited:g})")
        return text
    return f"{exc.field}: {exc.detail}" if exc.field else exc.detail


def main() -> None:
    """The console script: a :class:`RegularsError` (bad input, a database that cannot be
    used) ends in one line on stderr and exit code 2, never a traceback."""
    # A database that cannot be used is told once, below, not also by the engine's log line.
    logging.getLogger("regulars.db.engine").setLevel(logging.ERROR)
    try:
        app()
    except RegularsError as exc:
        err.print(Text.assemble(("error: ", "red"), _message(exc)), soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
