"""Which database errors mean "the database is away" (a 503, a requeued event), which are bugs."""

import psycopg
from sqlalchemy import exc as sa_exc

from kit.db import database_unreachable, short_reason, unreachable_error


def wrapped(error_class, orig, invalidated=False):
    return error_class("SELECT 1", {}, orig, connection_invalidated=invalidated)


def test_a_refused_or_cut_connection_is_the_database_being_away():
    refused = psycopg.OperationalError('connection failed: database "x" is not accepting')
    assert database_unreachable(wrapped(sa_exc.OperationalError, refused))
    assert database_unreachable(wrapped(sa_exc.InterfaceError, psycopg.InterfaceError("closed")))
    assert database_unreachable(sa_exc.TimeoutError("QueuePool limit reached"))
    cut = wrapped(sa_exc.DBAPIError, psycopg.Error("server closed"), invalidated=True)
    assert database_unreachable(cut)


def test_a_broken_query_or_a_constraint_is_not_the_database_being_away():
    clash = wrapped(sa_exc.IntegrityError, psycopg.IntegrityError("duplicate key"))
    assert not database_unreachable(clash)
    assert not database_unreachable(wrapped(sa_exc.ProgrammingError, psycopg.ProgrammingError()))
    assert not database_unreachable(RuntimeError("bug"))


def test_the_reason_is_one_line_without_the_sql_and_the_error_names_the_service():
    refused = psycopg.OperationalError("connection failed: refused\nDETAIL: more")
    assert short_reason(wrapped(sa_exc.OperationalError, refused)) == (
        "OperationalError: connection failed: refused"
    )
    error = unreachable_error("clients")
    assert error.code == "service_unavailable" and error.fields == {"service": "clients"}
