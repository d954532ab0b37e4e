"""CSV import: reading awkward files, reporting bad rows by line, idempotent re-import, limits."""

import base64
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from clients import companies, fields, search
from clients.imports import csvfile, jobs, running, writers
from clients.imports import preview as import_preview
from clients.imports import rows as import_rows
from clients.models import Client, Contact, ImportChunk, ImportKey
from kit.db import utcnow
from kit.errors import Conflict, PermissionDenied, ValidationError

CONTACTS = (
    "Name,Email,Company,Job Title,Phone\r\n"
    "Ada Lovelace,ada@acme.com,Acme,CTO,+1 555 0100\r\n"
    '"Stone, Bob",bob@acme.com,"Acme",Buyer,\r\n'
    "\r\n"
    "Cy Young,cy@globex.com,Globex,,\r\n"
)


def run(session, ctx, kind, text, mapping=None, limit=None, identity=None, **kw):
    identity = identity or FakeTeam()
    job = running.start_import(session, ctx, identity, limit, kind, text, mapping, **kw)
    session.commit()
    return jobs.import_dict(job)


class FakeTeam:
    """identity.list_users for imports: the team's e-mails; with a session, whether each call
    came while a transaction of it was open (never: docs/contracts.md)."""

    def __init__(self, users=(), session=None):
        self.users, self.calls, self.session = list(users), 0, session
        self.in_transaction: list[bool] = []

    def list_users(self, ctx, status=None):
        self.calls += 1
        if self.session is not None:
            self.in_transaction.append(self.session.in_transaction())
        return self.users


def contact_count(session):
    return session.scalar(select(func.count()).select_from(Contact))


def stored(session, model):
    return session.scalar(select(func.count()).select_from(model))


def upload(session, ctx, kind, data: bytes, cuts=(), filename="people.csv"):
    """Upload `data` in pieces cut at the offsets `cuts`, as the gateway does; the job's id."""
    job = jobs.create_import(session, ctx, kind, filename)
    bounds = [0, *cuts, len(data)]
    for seq, (start, end) in enumerate(itertools.pairwise(bounds)):
        piece = base64.b64encode(data[start:end]).decode()
        jobs.append_import_chunk(session, ctx, str(job.id), seq, piece)
    session.commit()
    return str(job.id)


def test_contacts_csv_with_crlf_quotes_commas_and_empty_lines_imports(session, ctx, outbox):
    job = run(session, ctx, "contacts", CONTACTS)
    assert (job["status"], job["total"], job["created"], job["error_count"]) == ("done", 3, 3, 0)
    bob = search.list_contacts(session, ctx, q="bob")["items"][0]
    assert (bob["name"], bob["client_name"], bob["position"]) == ("Stone, Bob", "Acme", "Buyer")
    assert search.list_clients(session, ctx)["total"] == 2  # Acme and Globex were created
    assert len(outbox(session, "contact_created")) == 3
    assert len(outbox(session, "client_created")) == 2


def test_a_utf8_bom_and_non_ascii_text_are_read(session, ctx):
    raw = ("\ufeffname,email,client\nZoë Ünal,zoe@acme.com,Açme Café\n").encode()
    job = run(session, ctx, "contacts", None, csv_base64=base64.b64encode(raw).decode())
    assert job["created"] == 1
    zoe = search.list_contacts(session, ctx)["items"][0]
    assert (zoe["name"], zoe["client_name"]) == ("Zoë Ünal", "Açme Café")


def test_a_quoted_field_may_span_lines_and_line_numbers_stay_physical(session, ctx):
    text = (
        "name,email,client\n"  # line 1
        '"Multi\nLine Name",ml@acme.com,Acme\n'  # lines 2-3
        "\n"  # line 4
        "No Email,,Acme\n"  # line 5
        "Bad,not-an-email,Acme\n"  # line 6
        "Ada,ada@acme.com,Acme\n"  # line 7
        "Ada again,ADA@acme.com,Acme\n"  # line 8
        "Shorty,s@acme.com,A\n"  # line 9
    )
    job = run(session, ctx, "contacts", text)
    assert [e["line"] for e in job["errors"]] == [5, 6, 8, 9]
    reasons = {e["line"]: e["reason"] for e in job["errors"]}
    assert "e-mail address is required" in reasons[5]
    assert "not a valid e-mail" in reasons[6]
    assert "already on line 7" in reasons[8]
    assert "at least 2 characters" in reasons[9]
    assert (job["created"], job["processed"], job["total"]) == (2, 6, 6)


def test_reimporting_the_same_file_creates_no_duplicates(session, ctx, outbox):
    run(session, ctx, "contacts", CONTACTS)
    again = run(session, ctx, "contacts", CONTACTS)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert contact_count(session) == 3
    assert search.list_clients(session, ctx)["total"] == 2
    changed = CONTACTS.replace("Buyer", "Head Buyer").replace("ada@acme.com", "ADA@ACME.COM")
    third = run(session, ctx, "contacts", changed)
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 1, 2)
    assert contact_count(session) == 3
    assert len(outbox(session, "contact_updated")) == 1


def test_empty_cells_keep_what_is_stored(session, ctx):
    run(session, ctx, "contacts", CONTACTS)
    run(session, ctx, "contacts", "email,name,position\nada@acme.com,Ada Lovelace,\n")
    ada = search.list_contacts(session, ctx, q="ada@")["items"][0]
    assert (ada["position"], ada["client_name"], ada["phone"]) == ("CTO", "Acme", "+1 555 0100")


def test_clients_csv_matches_by_name_and_fills_custom_fields(session, ctx, answers):
    tier = fields.define_field(session, ctx, "Tier", "choice", ["Gold", "Silver"])
    companies.create_client(session, ctx, answers, name="Acme", description="Old")
    text = (
        "Company,Website,Tags,Tier,Status\n"
        "ACME,acme.com,vip;retail,gold,\n"
        "Globex,globex.com,,Silver,inactive\n"
        "Initech,,,Platinum,\n"
        "Hooli,hooli.com,,,sleeping\n"
    )
    preview = import_preview.preview_import(session, ctx, FakeTeam(), "clients", text)
    assert preview["mapping"] == {
        "Company": "name",
        "Website": "website",
        "Tags": "tags",
        "Tier": f"custom:{tier['id']}",
        "Status": "status",
    }
    job = run(session, ctx, "clients", text)
    assert (job["created"], job["updated"]) == (1, 1)
    assert [e["line"] for e in job["errors"]] == [4, 5]
    acme = search.list_clients(session, ctx, q="acme")["items"][0]
    assert acme["description"] == "Old" and acme["tags"] == ["vip", "retail"]
    assert acme["custom_fields"] == {tier["id"]: "Gold"}
    assert search.list_clients(session, ctx, status="inactive")["items"][0]["name"] == "Globex"
    assert run(session, ctx, "clients", text)["unchanged"] == 2


def test_imports_respect_the_plan_limit_row_by_row(session, ctx, answers):
    companies.create_client(session, ctx, answers, name="Acme")
    text = "name,email,client\nA,a@x.com,Acme\nB,b@x.com,New One\nC,c@x.com,New Two\n"
    job = run(session, ctx, "contacts", text, limit=2)
    assert job["created"] == 2
    [error] = job["errors"]
    assert error["line"] == 4 and "your plan allows 2 clients" in error["reason"]
    clients = run(session, ctx, "clients", "name\nNew One\nThird\n", limit=2)
    assert (clients["unchanged"], clients["created"], clients["error_count"]) == (1, 0, 1)


@pytest.mark.parametrize(
    "payload",
    [
        {"csv_base64": base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00binary").decode()},
        {"csv_base64": base64.b64encode("name\nbad \xff".encode("latin-1")).decode()},
        {"csv_text": "PK\x03\x04\x14\x00\x06\x00 zip archive"},
        {"csv_text": ""},
        {"csv_text": "\n\n  \n"},
        {"csv_text": 'name,email\n"Ada,ada@x.com\nBob,bob@x.com\n'},
        {"csv_text": "ada@x.com,Ada,Acme\nbob@x.com,Bob,Acme\n"},
    ],
)
def test_a_file_that_is_not_a_csv_gets_a_clear_error(session, ctx, payload):
    with pytest.raises(ValidationError) as raised:
        import_preview.preview_import(session, ctx, FakeTeam(), "contacts", **payload)
    assert raised.value.message.startswith("This file is not a CSV")


def test_preview_suggests_a_mapping_shows_rows_and_errors_without_writing(session, ctx):
    preview = import_preview.preview_import(
        session, ctx, FakeTeam(), "contacts", CONTACTS + "X,bad,Acme\n"
    )
    assert preview["columns"] == ["Name", "Email", "Company", "Job Title", "Phone"]
    assert preview["mapping"]["Company"] == "client" and preview["missing_fields"] == []
    assert preview["rows"][1] == {
        "line": 3,
        "values": {
            "name": "Stone, Bob",
            "email": "bob@acme.com",
            "client": "Acme",
            "position": "Buyer",
            "phone": "",
            "tags": [],
        },
    }
    assert preview["total_rows"] == 4 and preview["errors"][0]["line"] == 6
    assert contact_count(session) == 0


def test_an_explicit_mapping_is_used_and_checked(session, ctx):
    text = "Who,Reach,Org\nAda,ada@x.com,Acme\n"
    preview = import_preview.preview_import(session, ctx, FakeTeam(), "contacts", text)
    assert preview["missing_fields"] == ["name", "email"]
    with pytest.raises(ValidationError):
        running.start_import(session, ctx, FakeTeam(), None, "contacts", text)
    with pytest.raises(ValidationError):
        running.start_import(session, ctx, FakeTeam(), None, "contacts", text, {"Who": "salary"})
    mapping = {"Who": "name", "Reach": "email", "Org": "client"}
    assert run(session, ctx, "contacts", text, mapping)["created"] == 1


def test_large_files_are_queued_and_run_in_batches_with_progress(session, ctx, monkeypatch):
    monkeypatch.setattr(import_rows, "BATCH", 50)
    rows = "".join(f"P{i},p{i}@x.com,Client {i % 7}\n" for i in range(1200))
    job = running.start_import(
        session, ctx, FakeTeam(), None, "contacts", "name,email,client\n" + rows
    )
    session.commit()
    assert (job.status, job.total, stored(session, ImportChunk) > 0) == ("queued", 1200, True)
    seen = []
    running.run_job(session, job.id, pause=lambda: seen.append(job.processed))
    done = jobs.get_import(session, ctx, str(job.id))
    assert (done["status"], done["created"], done["processed"]) == ("done", 1200, 1200)
    assert seen[0] == 50 and seen == sorted(seen) and len(seen) == 24
    assert (stored(session, ImportChunk), stored(session, ImportKey)) == (0, 0)
    assert session.scalar(select(func.count()).select_from(Client)) == 7


def test_a_large_import_leaves_the_tables_vacuumed_and_analyzed(session, ctx, monkeypatch):
    """Right after a large import, the lists' keys and counts come from index-only scans (every
    page of the tables all-visible) and the planner knows the new rows (fresh statistics)."""
    monkeypatch.setattr(running, "SYNC_ROWS", 1)
    monkeypatch.setattr(running, "REFRESH_AFTER_ROWS", 100)
    rows = "".join(f"P{i},p{i}@x.com,Client {i % 7}\n" for i in range(300))
    job = running.start_import(
        session, ctx, FakeTeam(), None, "contacts", "name,email,client\n" + rows
    )
    session.commit()
    running.run_job(session, job.id, pause=lambda: None)
    tables = session.execute(
        text(
            "SELECT relname, relpages, relallvisible, reltuples FROM pg_class "
            "WHERE relname IN ('clients', 'contacts') ORDER BY relname"
        )
    ).all()
    assert [(name, visible == pages > 0, rows) for name, pages, visible, rows in tables] == [
        ("clients", True, 7),
        ("contacts", True, 300),
    ]


def test_a_failing_background_job_is_marked_failed_with_the_reason(session, ctx, monkeypatch):
    rows = "".join(f"P{i},p{i}@x.com,Acme\n" for i in range(600))
    job = running.start_import(
        session, ctx, FakeTeam(), None, "contacts", "name,email,client\n" + rows
    )
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(running, "import_file", broken)
    with pytest.raises(RuntimeError):
        running.run_job(session, job.id, pause=lambda: None)
    failed = jobs.get_import(session, ctx, str(job.id))
    assert failed["status"] == "failed" and "database went away" in failed["failure"]


def test_running_jobs_whose_lease_ran_out_are_failed_and_queued_ones_resumed(session, ctx):
    rows = "".join(f"P{i},p{i}@x.com,Acme\n" for i in range(600))
    first = running.start_import(
        session, ctx, FakeTeam(), None, "contacts", "name,email,client\n" + rows
    )
    second = running.start_import(
        session, ctx, FakeTeam(), None, "contacts", "name,email,client\n" + rows
    )
    alive = running.start_import(
        session, ctx, FakeTeam(), None, "contacts", "name,email,client\n" + rows
    )
    first.status = alive.status = "running"
    first.heartbeat_at = utcnow() - timedelta(seconds=61)
    alive.heartbeat_at = utcnow() - timedelta(seconds=5)
    session.commit()
    assert jobs.fail_interrupted(session, timedelta(seconds=60)) == [second.id]
    assert "import the file again" in jobs.get_import(session, ctx, str(first.id))["failure"]
    jobs.renew_leases(session, [alive.id])
    assert jobs.get_import(session, ctx, str(alive.id))["status"] == "running"


def test_importing_needs_create_clients_and_jobs_stay_in_their_agency(session, ctx, make_ctx):
    job = run(session, ctx, "contacts", CONTACTS)
    with pytest.raises(PermissionDenied):
        import_preview.preview_import(
            session, make_ctx(permissions={"view_clients"}), FakeTeam(), "contacts", ""
        )
    with pytest.raises(Exception) as raised:
        jobs.get_import(session, make_ctx(), job["id"])
    assert type(raised.value).__name__ == "NotFound"


def test_suggested_mapping_knows_common_column_names():
    header = ["Full Name", "E-mail Address", "Organisation", "Title", "Mobile", "Notes"]
    assert csvfile.suggest_mapping("contacts", header) == {
        "Full Name": "name",
        "E-mail Address": "email",
        "Organisation": "client",
        "Title": "position",
        "Mobile": "phone",
        "Notes": None,
    }


# Files read in pieces ----------------------------------------------------------------------------


def lines_of(data: bytes, cuts) -> list[str]:
    bounds = [0, *cuts, len(data)]
    return list(csvfile.text_lines(data[a:b] for a, b in itertools.pairwise(bounds)))


def test_a_piece_may_end_inside_a_multibyte_character():
    data = "name,email\nZoë Ünal,zoe@x.com\n".encode()
    cut = data.index("ë".encode()) + 1  # between the two bytes of ë
    assert lines_of(data, [cut]) == ["name,email\n", "Zoë Ünal,zoe@x.com\n"]


def test_a_piece_may_end_inside_the_bom_or_between_cr_and_lf():
    data = "\ufeffname\r\nAda\r\n".encode()
    assert lines_of(data, [1, 2, data.index(b"\n")]) == ["name\r\n", "Ada\r\n"]
    assert lines_of(data, [3]) == ["name\r\n", "Ada\r\n"]


def test_a_quoted_field_with_a_line_break_may_span_pieces():
    data = b'name,email\n"Multi\nLine",ml@x.com\nAda,ada@x.com\n'
    for cut in range(1, len(data)):
        rows = list(csvfile.records(lines_of(data, [cut])))
        assert rows == [
            (1, ["name", "email"]),
            (2, ["Multi\nLine", "ml@x.com"]),
            (4, ["Ada", "ada@x.com"]),
        ], cut


def test_invalid_utf8_or_a_cut_sequence_at_the_end_is_not_a_csv():
    for data in (b"name\nbad \xff\n", "name\nZo\u00eb".encode()[:-1]):
        with pytest.raises(ValidationError) as raised:
            lines_of(data, [len(data) // 2])
        assert raised.value.message.startswith("This file is not a CSV: it is not UTF-8")


def test_an_uploaded_file_is_previewed_and_imported_from_its_pieces(session, ctx, outbox):
    data = ("\ufeff" + CONTACTS.replace("Ada Lovelace", "Ada Lövelace")).encode()
    cuts = [2, data.index("ö".encode()) + 1, data.index(b'"Stone') + 4]
    job_id = upload(session, ctx, "contacts", data, cuts)
    preview = import_preview.preview_upload(session, ctx, FakeTeam(), job_id)
    assert (preview["total_rows"], preview["error_count"]) == (3, 0)
    assert preview["rows"][0]["values"]["name"] == "Ada Lövelace"
    assert stored(session, ImportKey) == 0  # the preview kept nothing
    job = jobs.import_dict(running.start_upload(session, ctx, FakeTeam(), None, job_id))
    session.commit()
    assert (job["status"], job["created"], job["filename"], job["size"]) == (
        "done",
        3,
        "people.csv",
        len(data),
    )
    assert (stored(session, ImportChunk), stored(session, ImportKey)) == (0, 0)
    assert len(outbox(session, "contact_created")) == 3
    with pytest.raises(Conflict):
        running.start_upload(session, ctx, FakeTeam(), None, job_id)


def test_an_uploaded_file_asks_for_the_team_with_no_transaction_open(session, ctx):
    team = FakeTeam([{"id": "u-1", "email": "ann@agency.test"}], session)
    data = b"name,account_managers\nAcme,ann@agency.test\nGlobex,bob@agency.test\n"
    job_id = upload(session, ctx, "clients", data, [9])
    preview = import_preview.preview_upload(session, ctx, team, job_id)
    assert (preview["new"], [e["line"] for e in preview["errors"]]) == (1, [3])
    job = running.start_upload(session, ctx, team, None, job_id)
    session.commit()
    assert (job.status, job.created, job.error_count) == ("done", 1, 1)
    assert search.list_clients(session, ctx)["items"][0]["account_manager_ids"] == ["u-1"]
    assert team.in_transaction == [False, False]


def test_reimporting_an_upload_creates_no_duplicates(session, ctx):
    data = CONTACTS.encode()
    running.start_upload(
        session, ctx, FakeTeam(), None, upload(session, ctx, "contacts", data, [7])
    )
    session.commit()
    again = running.start_upload(
        session, ctx, FakeTeam(), None, upload(session, ctx, "contacts", data)
    )
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert contact_count(session) == 3


def test_a_repeat_in_a_large_file_is_reported_on_the_later_line_across_batches(
    session, ctx, monkeypatch
):
    monkeypatch.setattr(import_rows, "BATCH", 100)
    rows = [f"P{i},p{i}@x.com,Acme\n" for i in range(700)]
    rows[650] = "Again,P3@X.COM,Acme\n"  # line 652 repeats line 5 (an earlier batch)
    rows[40] = "Twice,p39@x.com,Acme\n"  # line 42 repeats line 41 (the same batch)
    data = ("name,email,client\n" + "".join(rows)).encode()
    job_id = upload(session, ctx, "contacts", data, range(1000, len(data), 1000))
    job = running.start_upload(session, ctx, FakeTeam(), None, job_id)
    session.commit()
    assert job.status == "queued"
    running.run_job(session, job.id, pause=lambda: None)
    done = jobs.get_import(session, ctx, job_id)
    assert (done["status"], done["created"], done["processed"]) == ("done", 698, 700)
    assert done["errors"] == [
        {"line": 42, "reason": "p39@x.com is already on line 41 of this file"},
        {"line": 652, "reason": "P3@x.com is already on line 5 of this file"},
    ]
    assert (stored(session, ImportChunk), stored(session, ImportKey)) == (0, 0)


def test_pieces_come_in_order_retries_are_harmless_and_a_started_upload_takes_no_more(
    session, ctx, make_ctx
):
    job = jobs.create_import(session, ctx, "clients")
    job_id, piece = str(job.id), base64.b64encode(b"name\nAcme\n").decode()
    with pytest.raises(ValidationError):
        jobs.append_import_chunk(session, ctx, job_id, 1, piece)
    assert jobs.append_import_chunk(session, ctx, job_id, 0, piece)["chunks"] == 1
    assert jobs.append_import_chunk(session, ctx, job_id, 0, piece)["chunks"] == 1
    with pytest.raises(Exception) as raised:
        jobs.append_import_chunk(session, make_ctx(), job_id, 1, piece)
    assert type(raised.value).__name__ == "NotFound"
    assert running.start_upload(session, ctx, FakeTeam(), None, job_id).created == 1
    with pytest.raises(Conflict):
        jobs.append_import_chunk(session, ctx, job_id, 1, piece)
    assert [j["status"] for j in jobs.list_imports(session, ctx)] == ["done"]
    previewed = upload(session, ctx, "clients", b"name\nGlobex\n")
    jobs.discard_upload(session, ctx, previewed)
    assert stored(session, ImportChunk) == 0
    with pytest.raises(Exception) as raised:
        jobs.get_import(session, ctx, previewed)
    assert type(raised.value).__name__ == "NotFound"


def test_a_failed_upload_job_drops_its_pieces(session, ctx, monkeypatch):
    rows = "".join(f"P{i},p{i}@x.com,Acme\n" for i in range(600))
    job_id = upload(session, ctx, "contacts", ("name,email,client\n" + rows).encode(), [5000])
    job = running.start_upload(session, ctx, FakeTeam(), None, job_id)
    session.commit()
    monkeypatch.setattr(import_rows, "BATCH", 100)
    monkeypatch.setattr(writers.ContactWriter, "write", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        running.run_job(session, job.id, pause=lambda: None)
    assert jobs.get_import(session, ctx, job_id)["status"] == "failed"
    assert (stored(session, ImportChunk), stored(session, ImportKey)) == (0, 0)


def test_account_managers_come_from_team_emails_asked_once_per_import(session, ctx, monkeypatch):
    users = [{"id": "u-1", "email": "Ann@Agency.test"}, {"id": "u-2", "email": "b@a.test"}]
    team = FakeTeam(users, session)
    text = (
        "Company,Account manager\n"
        "Acme,ann@agency.test; b@a.test\n"
        "Globex,nobody@agency.test\n"
        "Initech,\n"
    )
    preview = import_preview.preview_import(session, ctx, team, "clients", text)
    assert preview["mapping"]["Account manager"] == "account_managers"
    assert [e["line"] for e in preview["errors"]] == [3]
    job = run(session, ctx, "clients", text, identity=team)
    assert team.calls == 2  # one for the preview, one for the import, none per row
    assert (job["created"], [e["line"] for e in job["errors"]]) == (2, [3])
    assert "nobody@agency.test" in job["errors"][0]["reason"]
    managers = {
        c["name"]: c["account_manager_ids"] for c in search.list_clients(session, ctx)["items"]
    }
    assert managers == {"Acme": ["u-1", "u-2"], "Initech": []}
    run(session, ctx, "clients", "name,account_managers\nAcme,\n", identity=team)  # kept
    assert search.list_clients(session, ctx, q="Acme")["items"][0]["account_manager_ids"] == [
        "u-1",
        "u-2",
    ]

    # A background import uses the team asked for when it started.
    monkeypatch.setattr(running, "SYNC_ROWS", 1)
    background = running.start_import(
        session, ctx, team, None, "clients", "name,manager\nHooli,b@a.test\nPied Piper,\n"
    )
    session.commit()
    assert background.status == "queued" and team.calls == 4
    running.run_job(session, background.id, pause=lambda: None)
    hooli = search.list_clients(session, ctx, q="Hooli")["items"][0]
    assert hooli["account_manager_ids"] == ["u-2"]
    assert team.in_transaction == [False] * 4


def test_files_without_account_managers_do_not_ask_for_the_team(session, ctx):
    team = FakeTeam()
    run(session, ctx, "clients", "name\nAcme\n", identity=team)
    assert team.calls == 0


def test_the_preview_finds_what_the_import_finds_and_names_the_updates(session, ctx, answers):
    companies.create_client(session, ctx, answers, name="Acme")
    search_before = search.list_contacts(session, ctx)["total"]
    run(session, ctx, "contacts", "Name,Email,Client\r\nAda,ada@acme.com,Acme\r\n")
    session.commit()
    text = (
        "Name,Email,Client,Phone\r\n"
        "Ada Renamed,ada@acme.com,,+1 555 0100\r\n"  # known: its client stays
        "Bob,bob@nowhere.com,,\r\n"  # no client, and the agency has more than one
        "Cy,cy@acme.com,Acme,\r\n"
    )
    companies.create_client(session, ctx, answers, name="Globex")
    session.commit()
    preview = import_preview.preview_import(session, ctx, FakeTeam(), "contacts", text)
    assert (preview["new"], preview["updated"], preview["error_count"]) == (1, 1, 1)
    assert preview["errors"][0]["line"] == 3
    assert preview["updated_fields"] == {"Name": 1, "Phone": 1}
    assert search.list_contacts(session, ctx)["total"] == search_before + 1  # nothing kept

    job = run(session, ctx, "contacts", text)
    assert (job["created"], job["updated"], job["error_count"]) == (1, 1, 1)


def test_skipping_updates_adds_new_records_and_leaves_known_ones(session, ctx, answers):
    companies.create_client(session, ctx, answers, name="Acme", description="Ours")
    session.commit()
    text = "Company,Notes\r\nAcme,Theirs\r\nGlobex,New one\r\n"
    preview = import_preview.preview_import(
        session, ctx, FakeTeam(), "clients", text, skip_updates=True
    )
    assert (preview["new"], preview["updated"], preview["updated_fields"]) == (1, 0, {})
    job = run(session, ctx, "clients", text, skip_updates=True)
    assert (job["created"], job["updated"], job["unchanged"]) == (1, 0, 1)
    descriptions = {c["name"]: c["description"] for c in search.list_clients(session, ctx)["items"]}
    assert descriptions == {"Acme": "Ours", "Globex": "New one"}


def test_the_template_has_the_columns_the_import_maps_by_itself(session, ctx):
    tier = fields.define_field(session, ctx, "Tier", "text")
    text = import_preview.import_template(session, ctx, "clients")
    header = text.strip().split(",")
    assert header[-1] == "Tier" and "Account managers" in header
    mapping = csvfile.suggest_mapping("clients", header, fields.field_map(session, ctx.agency))
    assert None not in mapping.values() and mapping["Tier"] == f"custom:{tier['id']}"


def test_the_template_writes_a_formula_like_field_name_as_text(session, ctx):
    fields.define_field(session, ctx, "=HYPERLINK(1)", "text")
    header = import_preview.import_template(session, ctx, "clients").strip().split(",")
    assert header[-1] == "'=HYPERLINK(1)"
