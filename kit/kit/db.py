"""Database session dependency: one SQLAlchemy session per worker, pool sized to the workers.

Entrypoints hand over to a domain function in one line: `return self.db.write(fn, ctx, *args)`
runs `fn(session, Context, *args)` in a transaction committed before the RPC reply is sent
(nameko replies before `worker_result` runs, so committing there would let a caller read stale
data); `self.db.read(fn, ctx, *args)` does the same without a transaction of its own;
`self.db.flow(fn, ctx, *args)` is for the few functions that call another system and so commit
their own transactions around the call. Whatever a worker leaves open is rolled back and closed
at teardown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kit.context import Context
from kit.errors import ServiceUnavailable

DATABASE_URL_KEY = "DATABASE_URL"
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


# Each service declares its own base, so each owns its metadata:
#     class Base(DeclarativeBase):
#         type_annotation_map = TYPE_ANNOTATION_MAP
TYPE_ANNOTATION_MAP = {datetime: DateTime(timezone=True), uuid.UUID: UUID(as_uuid=True)}


class TenantMixin:
    """Every row of every service carries the agency it belongs to."""

    agency_id: Mapped[uuid.UUID] = mapped_column(index=True)


def database_unreachable(exc: BaseException) -> bool:
    """Is `exc` the database being away (refusing, restarting, connection cut), not a bug?

    psycopg's OperationalError also covers deadlocks and serialization failures: transient too,
    and worth the same answer (try again in a moment).
    """
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))


def unreachable_error(service: str) -> ServiceUnavailable:
    """The error a caller gets while `service`'s database cannot be reached."""
    return ServiceUnavailable(
        f"The {service} service cannot reach its database just now; please try again in a moment.",
        {"service": service},
    )


def short_reason(exc: BaseException) -> str:
    """One line saying why: the driver's first line, without SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first[:200]}"


def make_engine(url: str, pool_size: int = 5) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=2,
        pool_pre_ping=True,
        pool_recycle=1800,
        # Error messages must not carry parameters: they hold password hashes and ciphertexts.
        hide_parameters=True,
    )


class WorkerSession(Session):
    """The session a worker gets, with the two ways an entrypoint calls its domain function."""

    def write(self, fn: Callable[..., T], ctx: dict, *args: Any, **kwargs: Any) -> T:
        """`fn(session, Context, ...)` in a transaction committed before the reply."""
        with self.begin():
            return fn(self, Context.from_dict(ctx), *args, **kwargs)

    def read(self, fn: Callable[..., T], ctx: dict, *args: Any, **kwargs: Any) -> T:
        """`fn(session, Context, ...)` for a read: nothing to commit."""
        return fn(self, Context.from_dict(ctx), *args, **kwargs)

    def flow(self, fn: Callable[..., T], ctx: dict, *args: Any, **kwargs: Any) -> T:
        """`fn(session, Context, ...)` that commits its own short transactions, because it calls
        another system between them (never inside an open transaction, docs/contracts.md)."""
        return fn(self, Context.from_dict(ctx), *args, **kwargs)


MAX_POOL = 10


class Database(DependencyProvider):
    """Gives each worker its own Session on an engine shared by the service."""

    def __init__(self, url_key: str = DATABASE_URL_KEY):
        self.url_key = url_key
        self.engine: Engine | None = None
        self.sessionmaker: sessionmaker | None = None
        self.sessions: dict = {}

    def setup(self) -> None:
        workers = int(self.container.config.get("max_workers", 10))
        # One connection per worker, up to MAX_POOL, plus one for the outbox relay timer. More
        # workers share them (billing's 32 mostly wait on a usage batch that one of them draws).
        # A worker holds its connection only inside a transaction; a service with more workers
        # than MAX_POOL must not take a second one there (billing does not), or waiting for it
        # could deadlock.
        pool_size = min(workers, MAX_POOL) + 1
        self.engine = make_engine(self.container.config[self.url_key], pool_size=pool_size)
        self.sessionmaker = sessionmaker(
            bind=self.engine, class_=WorkerSession, expire_on_commit=False
        )

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> WorkerSession:
        session = self.sessionmaker()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
