"""Rotating the keys personal identifiers are sealed and indexed with (``regulars keys``).

A rotation re-seals every stored phone number, card number, QR token and message recipient
under the current ``personal_data_key`` (the earlier keys, named in
``personal_data_old_keys``, still open the values not yet re-sealed, so the tills keep
working meanwhile), in batches of one transaction each: stopped at any point, it is run
again and goes on with what is left; run once more after it has finished, it changes
nothing. With ``reindex`` every row's blind index is recomputed too, under the current index
key (``personal_index_key``, by default ``personal_data_key``): needed after that key
changed, and until it has finished an identifier not yet re-indexed is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from regulars.db import personal, sealing
from regulars.db.personal import UnknownKey
from regulars.services.runtime import Runtime

__all__ = ["BATCH_ROWS", "Rotation", "UnknownKey", "pending", "rotate"]

BATCH_ROWS = 500


@dataclass(frozen=True)
class Rotation:
    key_id: str
    """The current key's id (never the key)."""
    resealed: dict[str, int]
    """Rows re-sealed, per table."""
    left: dict[str, int]
    """Rows still sealed under another key, per table (all zero once finished)."""


def pending(rt: Runtime) -> Rotation:
    """How many rows each table still holds under another key than the current one."""
    with rt.db.read() as conn:
        left = {s.table.name: sealing.count_stale(conn, s) for s in sealing.SEALED}
    return Rotation(key_id=personal.keys().key_id, resealed={}, left=left)


def rotate(rt: Runtime, *, reindex: bool = False, batch_rows: int = BATCH_ROWS,
           progress: Callable[[str, int], None] | None = None) -> Rotation:
    """Re-seal (with ``reindex``: and re-index) every stored identifier under the current
    keys. ``progress`` is told each table's name and rows re-sealed so far after each batch.
    Raises :class:`UnknownKey` for a value no configured key opens (nothing of its
    batch is written; the batches before it stay done)."""
    resealed: dict[str, int] = {}
    for spec in sealing.SEALED:
        name = spec.table.name
        resealed[name] = 0
        after = 0
        while True:
            with rt.db.write() as conn:
                batch = sealing.reseal_batch(conn, spec, after_id=after, limit=batch_rows,
                                             reindex=reindex)
            if batch.last_id is None:
                break
            after = batch.last_id
            resealed[name] += batch.resealed
            if progress is not None:
                progress(name, resealed[name])
    done = pending(rt)
    return Rotation(key_id=done.key_id, resealed=resealed, left=done.left)
