"""Sealing personal identifiers: AES-GCM with a fresh nonce and a key id, a keyed blind
index, and keys that rotate."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from regulars.db.personal import Keyring, UnknownKey

PHONE = "+79161234567"


def test_a_sealed_value_opens_to_itself_and_never_shows_it() -> None:
    keys = Keyring.from_secrets("s3cret")
    sealed = keys.seal(PHONE)
    assert keys.open(sealed) == PHONE
    assert PHONE not in sealed and "9161234567" not in sealed
    assert sealed.startswith(keys.key_id + ".")


def test_each_sealing_takes_a_fresh_nonce() -> None:
    keys = Keyring.from_secrets("s3cret")
    assert keys.seal(PHONE) != keys.seal(PHONE)


def test_the_blind_index_is_the_same_for_the_same_value_kind_and_tenant_only() -> None:
    keys = Keyring.from_secrets("s3cret")
    index = keys.index(1, "phone", PHONE)
    assert index == keys.index(1, "phone", PHONE)
    assert len({index, keys.index(2, "phone", PHONE), keys.index(1, "card", PHONE),
                Keyring.from_secrets("other").index(1, "phone", PHONE)}) == 4


def test_the_index_key_does_not_open_sealed_values() -> None:
    keys = Keyring.from_secrets("s3cret")
    raw = base64.urlsafe_b64decode(keys.seal(PHONE).partition(".")[2])
    with pytest.raises(InvalidTag):
        AESGCM(keys.index_key).decrypt(raw[:12], raw[12:], None)


def test_an_old_key_still_opens_what_it_sealed_and_the_new_one_seals() -> None:
    old = Keyring.from_secrets("old")
    sealed = old.seal(PHONE)
    new = Keyring.from_secrets("new", ["old"])
    assert new.open(sealed) == PHONE
    assert not new.is_current(sealed) and new.is_current(new.seal(PHONE))
    with pytest.raises(UnknownKey):
        Keyring.from_secrets("new").open(sealed)


def test_a_pinned_index_key_keeps_the_index_across_an_encryption_key_change() -> None:
    before = Keyring.from_secrets("old")
    after = Keyring.from_secrets("new", ["old"], index_secret="old")
    assert after.index(1, "phone", PHONE) == before.index(1, "phone", PHONE)


def test_the_keyring_never_prints_a_key() -> None:
    keys = Keyring.from_secrets("s3cret")
    shown = repr(keys)
    assert "s3cret" not in shown and keys.index_key.hex() not in shown


def test_a_batch_is_sealed_as_one_by_one_each_under_its_own_nonce() -> None:
    ring = Keyring.from_secrets("s3cret")
    values = ["+15550100", "Q-token_1", "", "ключ"]
    sealed = ring.seal_many(values)
    assert [ring.open(s) for s in sealed] == values
    assert all(ring.is_current(s) and "+" not in s and "/" not in s for s in sealed)
    nonces = [base64.urlsafe_b64decode(s.partition(".")[2])[:12] for s in sealed]
    assert len(set(nonces)) == len(values)
    assert [len(s) for s in sealed] == [len(ring.seal(v)) for v in values]
    assert ring.seal_many([]) == []
