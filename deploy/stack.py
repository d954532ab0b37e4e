"""How the system is started: the one place, used by `make run` (deploy.run) and by the stack
tests (tests/support/stack.py), which point it at other ports, databases and a vhost.

Each program is a subprocess in its own process group (so stopping it stops whatever it spawned),
with stdout and stderr merged and every line prefixed by the program's name. With
`restart=True` (what `make run` and the fault suite use) a program that dies is started again,
after a back-off that doubles while it keeps dying soon after its start (1 s, 2 s, ... 30 s), and
the supervisor says so; a program that ran a minute before dying starts again after 1 s.

Should the process that started them die without stopping them (SIGKILL, a killed test run),
a watchdog (deploy/watchdog.py, told each program's process group through a pipe) stops them:
no program is left behind with parent pid 1.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# The nameko services, in start order. A new service joins the running system with one entry here
# (and its database in deploy/postgres-init.sql, the Makefile's `migrate` and docker-compose.yml).
SERVICES = ("identity", "notifications", "clients", "billing", "reporting")

# Lines kept per program to explain a failure.
TAIL_LINES = 40
# Restart back-off: first delay, cap, and how long a program must run to count as healthy again.
RESTART_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_STABLE_AFTER = 60.0


@dataclass(frozen=True)
class Program:
    """A process of the running system; `port` is where it listens once it is up."""

    name: str
    argv: tuple[str, ...]
    port: int | None = None


def service_program(name: str, replica: int | None = None) -> Program:
    """A nameko service, run exactly as in production: `nameko run --config ...`; a replica
    (one of several processes of the service) is named `<name>-<n>`."""
    config = f"services/{name}/{name}/config.yaml"
    argv = (PYTHON, "-m", "nameko", "run", "--config", config, f"{name}.service")
    return Program(name if replica is None else f"{name}-{replica}", argv)


def gateway_program(port: int, host: str = "127.0.0.1") -> Program:
    """The Flask gateway under waitress."""
    # An empty --ident sends no `Server: waitress` header (nothing to fingerprint).
    argv = (PYTHON, "-m", "waitress", f"--host={host}", f"--port={port}", "--threads=8", "--ident=")
    return Program("gateway", (*argv, "--call", "gateway.app:create_app"), port)


def localstripe_program(port: int, state: Path, from_scratch: bool = False) -> Program:
    """localstripe, the Stripe emulator the real `stripe` SDK is pointed at, keeping its store
    in `state` (each running system has its own)."""
    argv = (PYTHON, "-m", "deploy.localstripe", "--state", str(state), "--port", str(port))
    return Program("localstripe", (*argv, "--from-scratch") if from_scratch else argv, port)


def s3_program(port: int) -> Program:
    """moto's server: the local S3-compatible store request attachments go to (boto3 in the
    clients service is pointed at it with S3_ENDPOINT_URL). It keeps its objects in memory."""
    return Program("s3", (PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)), port)


def mailcatcher_program(smtp_port: int, web_port: int) -> Program:
    """The development mail catcher: SMTP in, a web page and JSON out."""
    argv = (PYTHON, "-m", "deploy.mailcatcher", "--smtp-port", str(smtp_port))
    return Program("mailcatcher", (*argv, "--web-port", str(web_port)), web_port)


class StackError(RuntimeError):
    """The system did not come up; the message says which part and shows its last lines."""


class _Running:
    def __init__(self, program: Program, process: subprocess.Popen):
        self.program = program
        self.process = process
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.reader: threading.Thread | None = None
        self.started_at = time.monotonic()


class Stack:
    """Starts programs, waits until they answer, reports deaths and stops them all."""

    def __init__(
        self,
        programs: Iterable[Program],
        env: Mapping[str, str] | None = None,
        *,
        health_url: str | None = None,
        output: TextIO | None = None,
        cwd: Path = ROOT,
        restart: bool = False,
    ):
        self.programs = list(programs)
        self.restart = restart
        self.restarts: collections.Counter[str] = collections.Counter()
        self._quick_deaths: collections.Counter[str] = collections.Counter()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.env = dict(env or {})
        self.health_url = health_url
        self.output = output or sys.stdout
        self.cwd = cwd
        self.running: dict[str, _Running] = {}
        self._write_lock = threading.Lock()
        self._width = max((len(p.name) for p in self.programs), default=0)

    @classmethod
    def system(
        cls,
        env: Mapping[str, str],
        *,
        gateway_port: int,
        stripe_port: int | None = None,
        stripe_state: Path = ROOT / ".run" / "localstripe.pickle",
        mail_ports: tuple[int, int] | None = None,
        s3_port: int | None = None,
        services: Iterable[str] = SERVICES,
        replicas: int = 1,
        from_scratch: bool = False,
        output: TextIO | None = None,
        restart: bool = False,
    ) -> Stack:
        """The whole system: the services (`replicas` processes of each, sharing its queues)
        and the gateway, with localstripe, the local S3 and the mail catcher when their ports
        are given (the tests bring their own SMTP server)."""
        programs = []
        if stripe_port:
            programs.append(localstripe_program(stripe_port, stripe_state, from_scratch))
        if s3_port:
            programs.append(s3_program(s3_port))
        if mail_ports:
            programs.append(mailcatcher_program(*mail_ports))
        if replicas == 1:
            programs += [service_program(name) for name in services]
        else:
            programs += [
                service_program(name, n) for name in services for n in range(1, replicas + 1)
            ]
        programs.append(gateway_program(gateway_port))
        health_url = f"http://127.0.0.1:{gateway_port}/healthz"
        return cls(programs, env, health_url=health_url, output=output, restart=restart)

    # -- starting -------------------------------------------------------------------------------

    def start(self) -> None:
        self._env = {
            **os.environ,
            **self.env,
            "PYTHONUNBUFFERED": "1",
            # nameko's pkg_resources and eventlet's own deprecation notice, at every start.
            "PYTHONWARNINGS": os.environ.get("PYTHONWARNINGS")
            or "ignore::DeprecationWarning,ignore:pkg_resources is deprecated:UserWarning",
            # psycopg's C wait function blocks every eventlet worker (docs/ARCHITECTURE.md).
            "PSYCOPG_WAIT_FUNC": "wait_select",
        }
        # stops every program should this process die without stopping them (deploy/watchdog.py)
        self._watchdog = subprocess.Popen(
            (PYTHON, "-m", "deploy.watchdog"),
            cwd=self.cwd,
            env=self._env,
            stdin=subprocess.PIPE,
            start_new_session=True,
            text=True,
        )
        for program in self.programs:
            self.say(f"starting {program.name}: {' '.join(program.argv[1:])}")
            self._spawn(program)
        if self.restart:
            self._supervisor = threading.Thread(target=self._supervise, name="supervisor")
            self._supervisor.start()

    def _spawn(self, program: Program) -> None:
        process = subprocess.Popen(
            program.argv,
            cwd=self.cwd,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._tell_watchdog(f"+{process.pid}")  # its process group (start_new_session)
        running = _Running(program, process)
        running.reader = threading.Thread(
            target=self._relay, args=(running,), name=f"relay-{program.name}", daemon=True
        )
        running.reader.start()
        self.running[program.name] = running

    def _tell_watchdog(self, line: str) -> None:
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None and watchdog.stdin is not None:
            with self._write_lock, contextlib.suppress(OSError, ValueError):
                watchdog.stdin.write(line + "\n")
                watchdog.stdin.flush()

    def _supervise(self) -> None:
        """Start again each program that died, with back-off, until the stack stops."""
        due: dict[str, float] = {}
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            for name, code in self.exited().items():
                if name in due:
                    continue
                running = self.running[name]
                if now - running.started_at > RESTART_STABLE_AFTER:
                    self._quick_deaths[name] = 0
                delay = min(RESTART_DELAY * 2 ** self._quick_deaths[name], RESTART_MAX_DELAY)
                self._quick_deaths[name] += 1
                due[name] = now + delay
                self.say(f"{name} exited with code {code}; restarting it in {delay:.0f} s")
            for name, when in list(due.items()):
                if now >= when and not self._stopping.is_set():
                    del due[name]
                    self.say(f"restarting {name} (restart {self.restarts[name] + 1})")
                    self._tell_watchdog(f"-{self.running[name].process.pid}")
                    self._spawn(self.running[name].program)
                    self.restarts[name] += 1

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send `sig` to a program's process group (the fault tests' way to crash a service)."""
        _signal_group(self.running[name].process, sig)

    def _relay(self, running: _Running) -> None:
        prefix = f"{running.program.name:<{self._width}} | "
        assert running.process.stdout is not None
        for raw in iter(running.process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            running.tail.append(line)
            self._write(prefix + line)

    def _write(self, line: str) -> None:
        with self._write_lock:
            try:
                self.output.write(line + "\n")
                self.output.flush()
            except ValueError:  # the output was closed while we shut down
                pass

    def say(self, message: str) -> None:
        """A line from the supervisor itself."""
        self._write(f"{'*':<{self._width}} | {message}")

    # -- watching -------------------------------------------------------------------------------

    def exited(self) -> dict[str, int]:
        """The programs that have stopped, with their exit codes."""
        return {
            name: r.process.returncode
            for name, r in self.running.items()
            if r.process.poll() is not None
        }

    def tail(self, name: str) -> str:
        return "\n".join(f"    {line}" for line in self.running[name].tail)

    def wait_until_healthy(self, timeout: float = 60.0) -> None:
        """Wait until every program listens on its port and the health URL answers 200.

        Raises StackError naming what did not come up (or what died on the way)."""
        deadline = time.monotonic() + timeout
        waiting_ports = {r.program.name: r.program.port for r in self.running.values()}
        waiting_ports = {name: port for name, port in waiting_ports.items() if port}
        health = "not asked yet"
        while True:
            dead = self.exited()
            if dead:
                name, code = next(iter(dead.items()))
                raise StackError(
                    f"{name} exited with code {code} before the system came up. "
                    f"Its last lines:\n{self.tail(name)}"
                )
            for name, port in list(waiting_ports.items()):
                if _listening(port):
                    del waiting_ports[name]
            if not waiting_ports:
                if self.health_url is None:
                    return
                ok, health = _health(self.health_url)
                if ok:
                    return
            if time.monotonic() > deadline:
                raise StackError(self._not_up_message(timeout, waiting_ports, health))
            time.sleep(0.25)

    def _not_up_message(self, timeout: float, waiting_ports: dict[str, int], health: str) -> str:
        if waiting_ports:
            names = ", ".join(f"{name} (port {port})" for name, port in waiting_ports.items())
            details = "\n".join(f"{name}:\n{self.tail(name)}" for name in waiting_ports)
            return f"Not listening after {timeout:.0f} s: {names}. Last lines:\n{details}"
        lines = [f"{self.health_url} did not answer 200 within {timeout:.0f} s: {health}"]
        down = _services_down(health)
        for service in down:
            for name in self.running:
                if name == service or name.startswith(f"{service}-"):
                    lines.append(f"{name} is not answering its health RPC. Last lines:")
                    lines.append(self.tail(name))
        if not down:
            lines.append("Gateway's last lines:")
            lines.append(self.tail("gateway") if "gateway" in self.running else "    -")
        return "\n".join(lines)

    # -- stopping -------------------------------------------------------------------------------

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every process group, then SIGKILL whatever is left after `grace` seconds."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
        alive = [r for r in self.running.values() if r.process.poll() is None]
        for running in reversed(alive):
            _signal_group(running.process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for running in alive:
            try:
                running.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{running.program.name} did not stop in {grace:.0f} s; killing it")
                _signal_group(running.process, signal.SIGKILL)
                running.process.wait()
        for running in self.running.values():
            if running.reader:
                running.reader.join(timeout=2)
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            self._tell_watchdog("done")
            with contextlib.suppress(OSError, ValueError):
                watchdog.stdin.close()
            try:
                watchdog.wait(5)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _health(url: str) -> tuple[bool, str]:
    """(answered 200, what it answered)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200, f"{response.status} {response.read(500).decode()}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {exc.read(500).decode(errors='replace')}"
    except (OSError, urllib.error.URLError) as exc:
        return False, f"no answer ({exc})"


def _services_down(health: str) -> list[str]:
    """The services a /healthz body reports as down: `{"services": {"identity": false}}`."""
    try:
        report = json.loads(health.split(" ", 1)[1])["services"]
    except (IndexError, ValueError, KeyError, TypeError):
        return []
    return [name for name, ok in report.items() if not ok]
