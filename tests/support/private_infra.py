"""A PostgreSQL cluster and a RabbitMQ node of the fault suite's own, on free ports, in a
temporary directory: the faults it injects (a restart, a broker stopped, a database refusing
connections) never reach the machine's shared servers, on which other suites run.

PostgreSQL: `initdb` (trust auth, no fsync: nothing here needs to survive a power cut), then
`pg_ctl start` on 127.0.0.1:<free port>; run as the `postgres` user when we are root (PostgreSQL
refuses to run as root). RabbitMQ: the broker's own script with its own node name, config file
(only the AMQP listener, no plugins, so nothing binds the shared node's management port),
distribution port, mnesia and log directories, and a HOME of its own for the Erlang cookie
(docs: ARCHITECTURE.md, "More RabbitMQ nodes on one machine").
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.infra import free_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def _wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} is not listening on port {port} after {timeout:.0f} s")


class PrivatePostgres:
    """`start()`, `url(database)`, `restart()`, `refuse(database)` / `allow(database)`, `stop()`."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL's server programs are missing (/usr/lib/postgresql)")
        self.bin = Path(bins[-1])
        # PostgreSQL will not run as root: hand the directory to `postgres` and run as it.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    def _run(self, program: str, *args: str) -> None:
        argv = [*self.as_user, str(self.bin / program), *args]
        subprocess.run(argv, check=True, capture_output=True, cwd=self.dir, timeout=120)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def restart(self) -> None:
        """A fast restart (every connection ends), as an operator's `pg_ctlcluster restart`."""
        # With its log file again: else the server would inherit (and hold open) our pipe.
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-m",
            "fast",
            "restart",
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, *statements: tuple[str, dict]) -> None:
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for sql, params in statements:
                    conn.execute(text(sql), params)
        finally:
            engine.dispose()

    def refuse(self, database: str) -> None:
        """The database refuses new connections and its open ones end."""
        self._admin(
            (f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false', {}),
            (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name",
                {"name": database},
            ),
        )

    def allow(self, database: str) -> None:
        self._admin((f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true', {}))


class PrivateRabbit:
    """`start()`, `amqp_uri`, `stop_app()` / `start_app()` (the broker away and back), `kill()`,
    `stop()`. `home` holds the Erlang cookie: the nodes of one cluster share it."""

    def __init__(self, home: Path | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="faults-rabbit-"))
        self.home = home or self.dir
        self.port = free_port()
        self.node = f"faults{uuid.uuid4().hex[:8]}@localhost"
        self.process: subprocess.Popen | None = None
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        self.env = {
            **os.environ,
            "HOME": str(self.home),  # its Erlang cookie, for the node and for rabbitmqctl
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            # No scheduler busy-waiting: the machine's cores are shared with everything else.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "+sbwt none +sbwtdcpu none +sbwtdio none",
        }

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def launch(self) -> None:
        """Start the Erlang node and the broker in it (without waiting for either)."""
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            env=self.env,
            cwd=self.dir,
            stdout=(self.dir / "server.out").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_listening(self, timeout: float = 60.0) -> None:
        _wait_for_port(self.port, timeout, f"RabbitMQ node {self.node}")

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_listening(timeout)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        argv = [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args]
        try:
            done = subprocess.run(
                argv, env=self.env, check=True, capture_output=True, timeout=timeout
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(args)} failed on {self.node}: "
                f"{exc.stdout.decode(errors='replace')}{exc.stderr.decode(errors='replace')}"
            ) from None
        return done.stdout.decode()

    def stop_app(self) -> None:
        """The broker stops (every connection is closed); the Erlang node stays."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.wait_listening(30)

    def kill(self) -> None:
        """SIGKILL the whole node (the Erlang VM and its helpers), as a machine lost."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.ctl("stop")
        except (subprocess.SubprocessError, OSError, RuntimeError):
            self.kill()
        finally:
            if self.process is not None:
                try:
                    self.process.wait(30)
                except subprocess.TimeoutExpired:
                    self.kill()
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRabbitCluster:
    """Three RabbitMQ nodes (by default) on this machine, clustered: each a `PrivateRabbit` with
    its own node name, ports, mnesia and log directories, all sharing one Erlang cookie (one
    HOME); the second and third `join_cluster` the first (RabbitMQ 3.10). `amqp_uri` lists every
    node, kombu's failover form (`pyamqp://...:p1/;pyamqp://...:p2/;...`): a client whose node
    goes away connects to the next one. `kill(i)` SIGKILLs node i, as a machine lost."""

    def __init__(self, size: int = 3) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="faults-rabbit-home-"))
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(uuid.uuid4().hex.upper())
        cookie.chmod(0o400)
        self.nodes = [PrivateRabbit(home=self.home) for _ in range(size)]

    @property
    def amqp_uri(self) -> str:
        return ";".join(node.amqp_uri for node in self.nodes)

    def start(self, timeout: float = 90.0) -> None:
        for node in self.nodes:  # the nodes boot side by side
            node.launch()
        for node in self.nodes:
            node.wait_listening(timeout)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.node)
            node.start_app()
        running = self.running_nodes(first)
        assert len(running) == len(self.nodes), f"the cluster runs {running}"

    def running_nodes(self, via: PrivateRabbit) -> list[str]:
        """The nodes `via` sees running (`rabbitmqctl cluster_status`)."""
        status = json.loads(via.ctl("cluster_status", "--formatter", "json"))
        return sorted(status["running_nodes"])

    def kill(self, index: int) -> PrivateRabbit:
        node = self.nodes[index]
        node.kill()
        return node

    def stop(self) -> None:
        """Every node killed (nothing in them is kept: a graceful stop only takes longer)."""
        try:
            for node in self.nodes:
                node.kill()
        finally:
            for node in self.nodes:
                shutil.rmtree(node.dir, ignore_errors=True)
            shutil.rmtree(self.home, ignore_errors=True)
