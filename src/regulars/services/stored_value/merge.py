"""What a member merge moves besides points: the wallet, the goods accounts and the stamp
cards, each through the ledger's ``transfer`` (one ``merge`` entry per asset with a balance,
keyed by the merge's key and the asset, so a merge replayed moves nothing twice).

Every lot moves, spent ones too, and the rows that name the source's accounts follow them, so
that a later refund of a receipt the source paid restores into the account that now holds
those lots:

- wallet: the target's wallet (opened if missing) receives the lots; the receipts' wallet
  tenders point at it;
- goods: when the target holds no account of the product, the source's goods account is given
  to the target (same id, same card); otherwise its lots go into the target's account, with
  its purchases and tenders, and the emptied account is blocked;
- stamps: each card's stamps go into the target's account of that card (opened if missing);
  the receipts' stamp rows name the target, as the receipts do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.stamps import stamps as stamp_store
from regulars.db.stored_value import certificates as certificate_store
from regulars.db.stored_value import goods as goods_store
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.assets import Asset
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.domain.stored_value.goods import GoodsStatus
from regulars.services.stored_value.certificates import asset_of as money_asset
from regulars.services.stored_value.goods import asset_of as goods_asset
from regulars.services.stored_value.wallets import open_wallet

MAX_GOODS_ACCOUNTS = 1000  # a member holds one per product


def move_holdings(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext, *,
                  source_id: int, target_id: int, key: str) -> None:
    """Move the wallet, goods accounts and stamp cards of ``source_id`` to ``target_id``
    inside the merge's unit of work (``ctx`` names the target)."""
    _move_wallet(conn, tenant, ctx, source_id=source_id, target_id=target_id, key=key)
    _move_goods(conn, ctx, source_id=source_id, target_id=target_id, key=key)
    _move_stamps(conn, ctx, source_id=source_id, target_id=target_id, key=key)


def _transfer(conn: Connection, ctx: EntryContext, *, key: str, source_account_id: int,
              target_account_id: int, asset: Asset, code: str, moved_as: str,
              source_id: int, **params: Any) -> None:
    def memo(moved: int) -> dict[str, Any]:
        return {"source_id": source_id, "why": [
            {"code": code, "params": {**params, moved_as: moved, "source_id": source_id}}]}

    ledger_ops.transfer(conn, ctx, key=f"merge:{key}:{asset.code}",
                        source_account_id=source_account_id,
                        target_account_id=target_account_id, memo=memo, asset=asset)


def _move_wallet(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext, *,
                 source_id: int, target_id: int, key: str) -> None:
    asset = money_asset(tenant)
    source = certificate_store.wallet_account(conn, tenant.id, source_id, asset.code)
    if source is None:
        return
    target = open_wallet(conn, tenant.id, target_id, asset)
    _transfer(conn, ctx, key=key, source_account_id=source, target_account_id=target,
              asset=asset, code="merge_wallet", moved_as="amount_minor", source_id=source_id)
    certificate_store.move_tenders(conn, tenant.id, source, target)


def _move_goods(conn: Connection, ctx: EntryContext, *, source_id: int, target_id: int,
                key: str) -> None:
    tenant_id = ctx.tenant_id
    for row in goods_store.list_accounts(conn, tenant_id, member_id=source_id,
                                         limit=MAX_GOODS_ACCOUNTS):
        asset = goods_asset(row)
        found = goods_store.member_account(conn, tenant_id, target_id, row.goods_product_id)
        target = (found.account_id if found is not None else
                  ledger_ops.ensure_account(conn, tenant_id, target_id, asset=asset))
        _transfer(conn, ctx, key=key, source_account_id=row.account_id,
                  target_account_id=target, asset=asset, code="merge_goods",
                  moved_as="quantity_milli", source_id=source_id, product=row.product_name)
        if found is None:
            goods_store.reassign(conn, tenant_id, row.id, member_id=target_id,
                                 account_id=target)
        else:
            goods_store.move_history(conn, tenant_id, row.id, found.id)
            goods_store.set_status(conn, tenant_id, row.id, GoodsStatus.BLOCKED.value)


def _move_stamps(conn: Connection, ctx: EntryContext, *, source_id: int, target_id: int,
                 key: str) -> None:
    tenant_id = ctx.tenant_id
    cards = {card.id: card for card in stamp_store.list_cards(conn, tenant_id)}
    held = stamp_store.stamp_accounts(conn, tenant_id, source_id, sorted(cards),
                                      now=ctx.recorded_at)
    for card_id, account in sorted(held.items()):
        asset = stamps_asset(card_id)
        target = ledger_ops.ensure_account(conn, tenant_id, target_id, asset=asset)
        _transfer(conn, ctx, key=key, source_account_id=account.account_id,
                  target_account_id=target, asset=asset, code="merge_stamps",
                  moved_as="stamps", source_id=source_id, card=cards[card_id].name)
    stamp_store.move_receipt_stamps(conn, tenant_id, source_id, target_id)
