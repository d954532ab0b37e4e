"""The credential vault: encrypted at rest, never listed, revealed with view_vault and audited."""

import logging

import pytest
from sqlalchemy import select

from clients import companies, vault
from clients.models import VaultEntry
from clients.rotate_vault_keys import main as rotate_command
from kit import encryption
from kit.errors import NotFound, PermissionDenied


@pytest.fixture
def acme(session, ctx, answers):
    return companies.create_client(session, ctx, answers, name="Acme")


def test_passwords_are_encrypted_at_rest_and_never_listed(session, ctx, acme, cipher_keys):
    cipher = encryption.make_cipher(cipher_keys[0])
    entry = vault.create_entry(
        session,
        ctx,
        cipher,
        acme["id"],
        label="WordPress",
        url="acme.com/wp-admin",
        username="admin",
        password="s3cret!",
        notes="2FA on Bob's phone",
    )
    session.commit()
    stored = session.scalar(select(VaultEntry.password_token))
    assert "s3cret!" not in stored and stored.startswith("gAAAA")
    listed = vault.list_entries(session, ctx, acme["id"])
    assert listed == [entry] and "password" not in entry and entry["has_password"]
    assert "s3cret!" not in repr(listed)


def test_reveal_needs_view_vault_and_every_reveal_is_recorded(
    session, make_ctx, ctx, acme, cipher_keys
):
    cipher = encryption.make_cipher(cipher_keys[0])
    entry = vault.create_entry(session, ctx, cipher, acme["id"], label="FTP", password="pw")
    without = make_ctx(agency_id=ctx.agency_id, permissions={"view_clients", "edit_clients"})
    with pytest.raises(PermissionDenied):
        vault.reveal_password(session, without, cipher, acme["id"], entry["id"])
    revealed = vault.reveal_password(session, ctx, cipher, acme["id"], entry["id"])
    assert revealed["password"] == "pw"
    [audit] = vault.list_reveals(session, ctx, acme["id"])["items"]
    assert (audit["principal_id"], audit["entry_label"]) == ("u-1", "FTP")
    with pytest.raises(PermissionDenied):
        vault.list_reveals(session, without)


def test_listing_the_vault_needs_view_vault(session, make_ctx, ctx, acme, cipher_keys):
    cipher = encryption.make_cipher(cipher_keys[0])
    vault.create_entry(session, ctx, cipher, acme["id"], label="FTP", username="ftp-admin")
    member = make_ctx(agency_id=ctx.agency_id, permissions={"view_clients", "view_reports"})
    with pytest.raises(PermissionDenied):
        vault.list_entries(session, member, acme["id"])


def test_the_reveal_audit_is_paged_newest_first(session, ctx, acme, cipher_keys):
    cipher = encryption.make_cipher(cipher_keys[0])
    for label in ("FTP", "CMS"):
        entry = vault.create_entry(session, ctx, cipher, acme["id"], label=label, password="pw")
        vault.reveal_password(session, ctx, cipher, acme["id"], entry["id"])
        session.flush()
    first = vault.list_reveals(session, ctx, page=1, per_page=1)
    second = vault.list_reveals(session, ctx, page=2, per_page=1)
    assert (first["total"], first["page"], first["per_page"]) == (2, 1, 1)
    assert [first["items"][0]["entry_label"], second["items"][0]["entry_label"]] == ["CMS", "FTP"]


def test_vault_entries_of_another_agency_are_not_found(session, make_ctx, ctx, acme, cipher_keys):
    cipher = encryption.make_cipher(cipher_keys[0])
    entry = vault.create_entry(session, ctx, cipher, acme["id"], label="FTP", password="pw")
    other = make_ctx()
    with pytest.raises(NotFound):
        vault.reveal_password(session, other, cipher, acme["id"], entry["id"])
    with pytest.raises(NotFound):
        vault.list_entries(session, other, acme["id"])
    with pytest.raises(NotFound):
        vault.update_entry(session, other, cipher, acme["id"], entry["id"], password="x")


def test_rotation_reencrypts_with_the_first_key_so_old_keys_can_go(
    session, ctx, acme, cipher_keys, db_url, monkeypatch, caplog
):
    new_key, old_key = cipher_keys
    old = encryption.make_cipher(old_key)
    entry = vault.create_entry(session, ctx, old, acme["id"], label="FTP", password="pw")
    vault.update_entry(session, ctx, old, acme["id"], entry["id"], notes="rotated soon")
    session.commit()
    monkeypatch.setenv("VAULT_KEYS", f"{new_key},{old_key}")
    with caplog.at_level(logging.DEBUG):
        assert rotate_command(db_url) == 1
    assert "pw" not in caplog.text
    session.expire_all()
    only_new = encryption.make_cipher(new_key)
    assert (
        vault.reveal_password(session, ctx, only_new, acme["id"], entry["id"])["password"] == "pw"
    )


def test_outside_development_the_vault_needs_keys_of_its_own():
    with pytest.raises(RuntimeError, match="VAULT_KEYS"):
        encryption.cipher_from_config({"APP_ENV": "production", "VAULT_KEYS": None})
    published = encryption.cipher_from_config({"APP_ENV": "development", "VAULT_KEYS": None})
    assert vault.decrypt(published, vault.encrypt(published, "pw")) == "pw"
