"""Writing validated import rows in batches: clients by name, contacts by e-mail.

Each batch is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE <something changed> RETURNING`
(so unchanged rows are not touched and `xmax = 0` tells inserted from updated), plus one
multi-row insert of the batch's outbox events (`kit.outbox.record_events`). See the package's
docstring for the rules.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    DateTime,
    String,
    Text,
    bindparam,
    case,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, insert
from sqlalchemy.orm import Session

from clients.common import lock_client_count
from clients.companies import limit_message, live_client_count
from clients.models import Client, Contact, ImportJob
from clients.status_history import record_changes
from kit.context import Context
from kit.db import utcnow

CLIENT_CACHE_SIZE = 10_000
INSERTED = literal_column("xmax = 0").label("inserted")


def among(keys: list[str]):
    """The keys as a one-column table to join with: one array parameter, not one parameter per
    key, whose generic plan (psycopg prepares repeated statements) compared every row of the
    agency with every parameter: imports grew quadratic (see uploads.py)."""
    return func.unnest(literal(keys, ARRAY(Text))).table_valued("key").render_derived("wanted")


class ClientWriter:
    """Upserts a batch of client rows by name, within the plan's limit."""

    def __init__(self, session: Session, ctx: Context, job: ImportJob, note):
        self.session, self.ctx, self.job, self.note = session, ctx, job, note
        self.refused = 0

    def write(self, batch: list[tuple[int, dict]]) -> None:
        session, agency = self.session, self.ctx.agency
        self.refused = 0
        lock_client_count(session, agency)
        existing: set[str] = set()
        room = None
        if self.job.client_limit is not None:
            wanted = among([row["name"].lower() for _, row in batch])
            existing = set(
                session.scalars(
                    select(Client.name_key)
                    .join(wanted, Client.name_key == wanted.c.key)
                    .where(Client.agency_id == agency, Client.archived_at.is_(None))
                )
            )
            room = self.job.client_limit - live_client_count(session, agency)
        now = utcnow()
        values, kept = [], []
        for line, row in batch:
            if row["name"].lower() not in existing:
                if room is not None and room <= 0:
                    self.note(line, limit_message(self.job.client_limit))
                    self.refused += 1
                    continue
                room = None if room is None else room - 1
            values.append(
                {
                    **row,
                    "id": uuid.uuid4(),
                    "agency_id": agency,
                    "status": row["status"] or "active",
                    "created_by": self.ctx.principal_id,
                    "created_at": now,
                    "updated_at": now,
                    "last_activity_at": now,
                }
            )
            kept.append((line, row))
        # An empty status cell means "active" for a new client and "unchanged" for a known one.
        with_status = [v for v, (_, row) in zip(values, kept, strict=True) if row["status"]]
        without = [v for v, (_, row) in zip(values, kept, strict=True) if not row["status"]]
        for group, set_status in ((with_status, True), (without, False)):
            if group:
                self._upsert(group, set_status)

    def _upsert(self, values: list[dict], set_status: bool) -> None:
        table = Client.__table__
        statement = insert(table)
        new = statement.excluded
        keep = {
            col: func.coalesce(func.nullif(new[col], ""), table.c[col])
            for col in ("description", "website", "address")
        }
        for col in ("tags", "account_manager_ids"):  # an empty cell keeps the stored list
            keep[col] = case((func.cardinality(new[col]) == 0, table.c[col]), else_=new[col])
        keep["custom_fields"] = table.c.custom_fields.op("||")(new.custom_fields)
        if set_status:
            keep["status"] = new.status
        changed = or_(*(table.c[col].is_distinct_from(expr) for col, expr in keep.items()))
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.agency_id, table.c.name_key],
            index_where=table.c.archived_at.is_(None),
            set_={**keep, "updated_at": new.updated_at, "last_activity_at": new.updated_at},
            where=false() if self.job.skip_updates else changed,
        ).returning(table.c.id, table.c.name, table.c.status, INSERTED)
        events: list[tuple[str, dict]] = []
        # A known client's status before the import sets it (rows locked until the commit): a
        # change is a `client_status_changed` too, kept in the client's status history.
        before = self._statuses([v["name"] for v in values]) if set_status else {}
        returned = self.session.execute(statement, values).all()
        for client_id, name, status, inserted in returned:
            event = "client_created" if inserted else "client_updated"
            payload = {"client_id": str(client_id), "name": name, "source": "import"}
            payload.update({"status": status} if inserted else {"changed": ["import"]})
            events.append((event, payload))
            old = before.get(client_id)
            if not inserted and old is not None and old != status:
                events.append(
                    (
                        "client_status_changed",
                        {
                            "client_id": str(client_id),
                            "name": name,
                            "old_status": old,
                            "status": status,
                        },
                    )
                )
            if inserted:
                self.job.created += 1
            else:
                self.job.updated += 1
        self.job.unchanged += len(values) - len(returned)
        record_changes(self.session, self.ctx, events)

    def _statuses(self, names: list[str]) -> dict:
        return live_client_statuses(self.session, self.ctx.agency, names)


class ContactWriter:
    """Upserts a batch of contact rows by e-mail, resolving (or creating) their clients."""

    def __init__(self, session: Session, ctx: Context, job: ImportJob, note):
        self.session, self.ctx, self.job, self.note = session, ctx, job, note
        self.refused = 0
        self.clients: dict[str, tuple[uuid.UUID, str]] = {}  # name_key -> (id, name)
        self.names: dict[uuid.UUID, str] = {}
        self.only_client: tuple[uuid.UUID, str] | bool | None = False  # False: not looked up

    def write(self, batch: list[tuple[int, dict]]) -> None:
        session, agency = self.session, self.ctx.agency
        self.refused = 0
        # A known contact's client matters only to rows that name none.
        emails = [row["email"].lower() for _, row in batch if not row["client"]]
        existing = {}
        if emails:
            wanted = among(emails)
            existing = dict(
                session.execute(
                    select(Contact.email_key, Contact.client_id)
                    .join(wanted, Contact.email_key == wanted.c.key)
                    .where(Contact.agency_id == agency)
                ).all()
            )
        self._resolve_clients(batch)
        now = utcnow()
        values = []
        for line, row in batch:
            client = self._client_for(row, existing.get(row["email"].lower()))
            if isinstance(client, str):
                self.note(line, client)
                self.refused += 1
                continue
            values.append(
                {
                    "id": uuid.uuid4(),
                    "agency_id": agency,
                    "client_id": client,
                    "name": row["name"],
                    "email": row["email"],
                    "position": row["position"],
                    "phone": row["phone"],
                    "tags": row["tags"],
                    "portal_status": "none",
                    "created_by": self.ctx.principal_id,
                    "created_at": now,
                    "updated_at": now,
                    "last_activity_at": now,
                }
            )
        if values:
            self._upsert(values)

    def _client_for(self, row: dict, current: uuid.UUID | None) -> uuid.UUID | str:
        """The row's client id, or the reason the row is refused."""
        if row["client"]:
            found = self.clients.get(row["client"].lower())
            if found is None:
                return (
                    f"client {row['client']!r} does not exist and "
                    + limit_message(self.job.client_limit)[0].lower()
                    + limit_message(self.job.client_limit)[1:]
                )
            return found[0]
        if current is not None:
            return current
        if self.only_client is False:
            live = self.session.execute(
                select(Client.id, Client.name)
                .where(Client.agency_id == self.ctx.agency, Client.archived_at.is_(None))
                .limit(2)
            ).all()
            self.only_client = tuple(live[0]) if len(live) == 1 else None
            if self.only_client:
                self.names[self.only_client[0]] = self.only_client[1]
        if self.only_client:
            return self.only_client[0]
        return "client is empty: name the contact's client"

    def _resolve_clients(self, batch: list[tuple[int, dict]]) -> None:
        """Fill the name cache for the batch, creating unknown clients while the plan allows."""
        if len(self.clients) > CLIENT_CACHE_SIZE:  # bounded, however many clients a file names
            self.clients.clear()
            self.names.clear()
        wanted: dict[str, str] = {}
        for _, row in batch:
            key = row["client"].lower()
            if key and key not in self.clients and key not in wanted:
                wanted[key] = row["client"]
        if not wanted:
            return
        session, agency = self.session, self.ctx.agency
        lock_client_count(session, agency)
        names = among(list(wanted))
        for client_id, key, name in session.execute(
            select(Client.id, Client.name_key, Client.name)
            .join(names, Client.name_key == names.c.key)
            .where(Client.agency_id == agency, Client.archived_at.is_(None))
        ):
            self.clients[key] = (client_id, name)
            self.names[client_id] = name
            wanted.pop(key, None)
        if not wanted:
            return
        names = list(wanted.values())
        if self.job.client_limit is not None:
            room = max(self.job.client_limit - live_client_count(session, agency), 0)
            names = names[:room]
        if names:
            self._create_clients(names)

    def _create_clients(self, names: list[str]) -> None:
        now = utcnow()
        table = Client.__table__
        statement = (
            insert(table)
            .on_conflict_do_nothing(
                index_elements=[table.c.agency_id, table.c.name_key],
                index_where=table.c.archived_at.is_(None),
            )
            .returning(table.c.id, table.c.name_key, table.c.name)
        )
        rows = [
            {
                "id": uuid.uuid4(),
                "agency_id": self.ctx.agency,
                "name": name,
                "description": "",
                "website": "",
                "address": "",
                "tags": [],
                "account_manager_ids": [],
                "custom_fields": {},
                "status": "active",
                "created_by": self.ctx.principal_id,
                "created_at": now,
                "updated_at": now,
                "last_activity_at": now,
            }
            for name in names
        ]
        events: list[tuple[str, dict]] = []
        for client_id, key, name in self.session.execute(statement, rows).all():
            self.clients[key] = (client_id, name)
            self.names[client_id] = name
            events.append(
                (
                    "client_created",
                    {
                        "client_id": str(client_id),
                        "name": name,
                        "status": "active",
                        "source": "import",
                    },
                )
            )
        record_changes(self.session, self.ctx, events)

    def _upsert(self, values: list[dict]) -> None:
        """One INSERT ... SELECT FROM jsonb_to_recordset(<the batch as JSON>) ON CONFLICT: the
        statement is the same for every batch and the rows travel as one JSON parameter
        (per-row parameters or escaped text arrays cost more than the database's work)."""
        table = Contact.__table__
        rows = (
            func.jsonb_to_recordset(bindparam("rows", type_=JSONB))
            .table_valued(
                column("id", UUID(as_uuid=True)),
                column("client_id", UUID(as_uuid=True)),
                column("name", Text),
                column("email", Text),
                column("position", Text),
                column("phone", Text),
                column("tags", ARRAY(Text)),
            )
            .render_derived(with_types=True)
        )
        now = literal(utcnow(), DateTime(timezone=True))
        source = select(
            rows.c.id,
            literal(self.ctx.agency, UUID(as_uuid=True)),
            rows.c.client_id,
            rows.c.name,
            rows.c.email,
            rows.c.position,
            rows.c.phone,
            rows.c.tags,
            literal("none"),
            literal(self.ctx.principal_id, String),
            now,
            now,
            now,
        )
        statement = insert(table).from_select(
            [
                "id",
                "agency_id",
                "client_id",
                "name",
                "email",
                "position",
                "phone",
                "tags",
                "portal_status",
                "created_by",
                "created_at",
                "updated_at",
                "last_activity_at",
            ],
            source,
        )
        new = statement.excluded
        keep = {
            "name": new.name,
            "client_id": new.client_id,
            "position": func.coalesce(func.nullif(new.position, ""), table.c.position),
            "phone": func.coalesce(func.nullif(new.phone, ""), table.c.phone),
            "tags": case((func.cardinality(new.tags) == 0, table.c.tags), else_=new.tags),
        }
        changed = or_(*(table.c[col].is_distinct_from(expr) for col, expr in keep.items()))
        statement = statement.on_conflict_do_update(
            constraint="uq_contacts_agency_email",
            set_={**keep, "updated_at": new.updated_at, "last_activity_at": new.updated_at},
            where=false() if self.job.skip_updates else changed,
        ).returning(table.c.id, table.c.client_id, table.c.name, table.c.email, INSERTED)
        sent = ("name", "email", "position", "phone", "tags")
        params = {
            "rows": [
                {"id": str(v["id"]), "client_id": str(v["client_id"]), **{k: v[k] for k in sent}}
                for v in values
            ]
        }
        events: list[tuple[str, dict]] = []
        returned = self.session.execute(statement, params).all()
        for contact_id, client_id, name, email, inserted in returned:
            payload = {
                "contact_id": str(contact_id),
                "client_id": str(client_id),
                "name": name,
                "email": email,
                "source": "import",
            }
            if inserted:
                payload["client_name"] = self._name_of(client_id)
                events.append(("contact_created", payload))
                self.job.created += 1
            else:
                events.append(("contact_updated", {**payload, "changed": ["import"]}))
                self.job.updated += 1
        self.job.unchanged += len(values) - len(returned)
        record_changes(self.session, self.ctx, events)

    def _statuses(self, names: list[str]) -> dict:
        return live_client_statuses(self.session, self.ctx.agency, names)

    def _name_of(self, client_id: uuid.UUID) -> str | None:
        if client_id not in self.names:
            self.names[client_id] = self.session.scalar(
                select(Client.name).where(Client.id == client_id)
            )
        return self.names[client_id]


def live_client_statuses(session, agency, names: list[str]) -> dict:
    """{client id: status} of the agency's live clients of these names, locked."""
    wanted = among([name.lower() for name in names])
    rows = session.execute(
        select(Client.id, Client.status)
        .join(wanted, Client.name_key == wanted.c.key)
        .where(Client.agency_id == agency, Client.archived_at.is_(None))
        .with_for_update(of=Client)
    ).all()
    return dict(rows)
