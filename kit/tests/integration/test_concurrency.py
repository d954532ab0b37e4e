"""Database queries of one service run side by side under eventlet, not one after another."""

import time

import eventlet
import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import text

from kit.db import Database, make_engine


class SleepyService:
    name = "sleepy"
    db = Database()

    @rpc
    def sleep(self, seconds):
        self.db.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return True


@pytest.fixture
def sleepy(container_factory, rabbit_config):
    config = {
        **rabbit_config,
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/postgres",
        "max_workers": 10,
    }
    container = container_factory(SleepyService, config)
    container.start()
    return config


def test_five_one_second_queries_in_one_service_take_about_one_second(sleepy):
    def call():
        with ServiceRpcProxy("sleepy", sleepy, timeout=10) as proxy:
            return proxy.sleep(1)

    started = time.monotonic()
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda _: call(), range(5)))
    elapsed = time.monotonic() - started
    assert results == [True] * 5
    assert elapsed < 2.5, f"5 concurrent pg_sleep(1) took {elapsed:.1f}s: queries are serialised"


def test_engine_queries_are_cooperative_outside_nameko_too():
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1/postgres", pool_size=5)

    def sleep():
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(0.5)"))

    started = time.monotonic()
    pool = eventlet.GreenPool()
    for _ in range(4):
        pool.spawn(sleep)
    pool.waitall()
    engine.dispose()
    assert time.monotonic() - started < 1.5
