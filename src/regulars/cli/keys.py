"""``regulars keys rotate|status``: the keys personal identifiers are encrypted with."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.services.members import keys
from regulars.services.runtime import open_existing_runtime, refuse_development_key

keys_app = typer.Typer(help="The keys phone numbers, card numbers and QR tokens are encrypted "
                            "and indexed with (REGULARS_PERSONAL_DATA_KEY).",
                       no_args_is_help=True)

DatabaseOpt = Annotated[str | None, typer.Option(
    "--database-url", envvar="REGULARS_DATABASE_URL",
    help="sqlite:///path or postgresql://user@host:5432/db")]


@keys_app.command("rotate")
def rotate(
    database_url: DatabaseOpt = None,
    reindex: Annotated[bool, typer.Option(
        "--reindex", help="recompute every blind index too (after the index key changed)")]
    = False,
    batch_rows: Annotated[int, typer.Option(min=1, max=100_000)] = keys.BATCH_ROWS,
) -> None:
    """Re-encrypt every stored identifier under the current REGULARS_PERSONAL_DATA_KEY, in
    batches (interrupted, run it again: it goes on; finished, it changes nothing). Keep the
    previous key in REGULARS_PERSONAL_DATA_OLD_KEYS until it reports nothing left."""
    from regulars.cli.main import _settings, console, fail

    settings = _settings(database_url)
    refuse_development_key(settings)  # re-encrypting under it would undo the protection
    with open_existing_runtime(settings) as rt:
        try:
            done = keys.rotate(rt, reindex=reindex, batch_rows=batch_rows)
        except keys.UnknownKey as exc:
            raise fail(f"{exc}: name the key it was encrypted under in "
                       "REGULARS_PERSONAL_DATA_OLD_KEYS (the batches before it are done)"
                       ) from exc
    for table, count in done.resealed.items():
        console.print(f"{table}: {count} re-encrypted, {done.left[table]} left")
    console.print(f"every value is under key {done.key_id}")


@keys_app.command("status")
def status(database_url: DatabaseOpt = None) -> None:
    """How many stored values are still encrypted under another key than the current one
    (exit 1 while any is)."""
    from regulars.cli.main import _settings, console

    with open_existing_runtime(_settings(database_url)) as rt:
        found = keys.pending(rt)
    for table, count in found.left.items():
        console.print(f"{table}: {count} under an older key")
    console.print(f"current key {found.key_id}")
    if any(found.left.values()):
        raise typer.Exit(code=1)
