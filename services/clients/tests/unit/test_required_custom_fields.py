"""Custom fields can be edited and marked required: a required field has a value on every client
created by hand, through the API or by a CSV import, and cannot be emptied."""

from __future__ import annotations

import pytest

from clients import companies, fields, search
from clients.imports import jobs, running
from kit.errors import ValidationError


class FakeTeam:
    def list_users(self, ctx, status=None):
        return []


def run_import(session, ctx, text, mapping=None):
    job = running.start_import(session, ctx, FakeTeam(), None, "clients", text, mapping)
    session.commit()
    return jobs.import_dict(job)


def test_a_field_is_renamed_given_choices_and_made_required(session, ctx):
    tier = fields.define_field(session, ctx, "Tier", "choice", ["Gold"])
    assert tier["required"] is False
    changed = fields.update_field(
        session, ctx, tier["id"], name="Level", choices=["Gold", "Silver"], required=True
    )
    assert (changed["name"], changed["choices"], changed["required"]) == (
        "Level",
        ["Gold", "Silver"],
        True,
    )
    assert fields.list_fields(session, ctx) == [changed]


def test_a_bad_edit_is_a_field_error_and_changes_nothing(session, ctx):
    tier = fields.define_field(session, ctx, "Tier", "choice", ["Gold"])
    session.commit()
    with pytest.raises(ValidationError) as raised:
        fields.update_field(session, ctx, tier["id"], name="", choices=[], required="yes")
    assert set(raised.value.fields) == {"name", "choices", "required"}
    session.rollback()
    assert fields.list_fields(session, ctx)[0]["name"] == "Tier"


def test_a_client_needs_every_required_field(session, ctx, answers):
    tier = fields.define_field(session, ctx, "Tier", "choice", ["Gold"], required=True)
    key = f"custom_fields.{tier['id']}"
    with pytest.raises(ValidationError) as raised:
        companies.create_client(session, ctx, answers, name="Acme")
    assert raised.value.fields == {key: "Tier is required."}
    client = companies.create_client(
        session, ctx, answers, name="Acme", custom_fields={tier["id"]: "gold"}
    )
    assert client["custom_fields"] == {tier["id"]: "Gold"}
    # It cannot be emptied; editing other things leaves it alone.
    with pytest.raises(ValidationError) as raised:
        companies.update_client(session, ctx, answers, client["id"], custom_fields={tier["id"]: ""})
    assert key in raised.value.fields
    renamed = companies.update_client(session, ctx, answers, client["id"], description="Ours")
    assert renamed["custom_fields"] == {tier["id"]: "Gold"}


def test_an_import_maps_and_fills_every_required_field(session, ctx):
    tier = fields.define_field(session, ctx, "Tier", "choice", ["Gold"], required=True)
    session.commit()
    with pytest.raises(ValidationError) as raised:
        run_import(session, ctx, "Company\r\nAcme\r\n", {"Company": "name"})
    assert "mapping" in raised.value.fields
    session.rollback()

    text = "Company,Tier\r\nAcme,Gold\r\nGlobex,\r\n"
    job = run_import(session, ctx, text, {"Company": "name", "Tier": f"custom:{tier['id']}"})
    assert (job["created"], job["error_count"]) == (1, 1)
    names = [c["name"] for c in search.list_clients(session, ctx)["items"]]
    assert names == ["Acme"]
