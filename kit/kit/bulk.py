"""Many rows in one round trip: COPY ... FROM STDIN through psycopg, in the caller's transaction.

Measured here (10,000 rows of eight columns): an executemany of INSERTs 1.1-3.7 s, SQLAlchemy
multi-row VALUES batches 7 s (compiling them is the cost), COPY 0.11 s. COPY checks every
constraint an INSERT does (unique, foreign keys, checks) and fails the transaction the same way.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb
from sqlalchemy import Table
from sqlalchemy.orm import Session


def _value(value):
    # psycopg adapts uuid, dates, numbers and text by itself; JSON columns need saying so.
    return Jsonb(value) if isinstance(value, dict | list) else value


def copy_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Write `rows` (dicts with the same keys, the table's column names) into `table`."""
    if not rows:
        return
    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(tuple(_value(row[column]) for column in columns))
