"""Each running system's localstripe keeps its store in its own file: a test run's customers never
replace those of `make run`, and the store survives a restart unless started from scratch."""

import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import stripe

ROOT = Path(__file__).resolve().parents[2]
SHARED_FILE = Path("/tmp/localstripe.pickle")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(state: Path, port: int, *extra: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "deploy.localstripe", "--state", str(state), "--port", str(port)]
    process = subprocess.Popen([*argv, *extra], cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("localstripe did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def client(port: int) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_state", base_addresses={"api": f"http://127.0.0.1:{port}"})


def customer_ids(state: Path) -> set[str]:
    with state.open("rb") as f:
        return {key.split(":", 1)[1] for key in pickle.load(f) if key.startswith("customer:")}


def test_store_is_kept_in_the_given_file_and_nowhere_else(tmp_path):
    before = SHARED_FILE.stat().st_mtime_ns if SHARED_FILE.exists() else None
    state, port = tmp_path / "store.pickle", free_port()
    process = start(state, port)
    try:
        customer = client(port).customers.create(params={"email": "kept@example.com"})
    finally:
        stop(process)

    assert customer_ids(state) == {customer.id}
    after = SHARED_FILE.stat().st_mtime_ns if SHARED_FILE.exists() else None
    assert after == before


def test_store_survives_a_restart_unless_started_from_scratch(tmp_path):
    state, port = tmp_path / "store.pickle", free_port()
    process = start(state, port)
    try:
        customer = client(port).customers.create(params={"email": "again@example.com"})
    finally:
        stop(process)

    process = start(state, port)
    try:
        assert client(port).customers.retrieve(customer.id).email == "again@example.com"
    finally:
        stop(process)

    process = start(state, port, "--from-scratch")
    try:
        assert client(port).customers.list().data == []
    finally:
        stop(process)
