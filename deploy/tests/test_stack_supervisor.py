"""deploy.stack, the supervisor behind `make run` and the stack tests, with stand-in programs."""

import io
import os
import sys
import time

import pytest

from deploy.stack import Program, Stack, StackError


def python(name: str, code: str, port: int | None = None) -> Program:
    return Program(name, (sys.executable, "-c", code), port)


def wait_for_line(stack: Stack, name: str, prefix: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(stack.running[name].tail):
            if line.startswith(prefix):
                return line
        time.sleep(0.05)
    raise AssertionError(f"{name} never printed {prefix!r}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_every_line_a_program_prints_is_prefixed_with_its_name():
    output = io.StringIO()
    stack = Stack([python("greeter", "print('hello'); print('bye')")], output=output)
    with stack:
        wait_for_line(stack, "greeter", "bye")

    assert "greeter | hello\ngreeter | bye\n" in output.getvalue()


def test_stopping_ends_each_program_and_whatever_it_started():
    code = (
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    stack = Stack([python("parent", code)], output=io.StringIO())
    stack.start()
    child_pid = int(wait_for_line(stack, "parent", "child").split()[1])

    stack.stop(grace=5)

    assert stack.exited()["parent"] is not None
    deadline = time.monotonic() + 5
    while alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child_pid)


def test_a_program_that_dies_while_starting_is_named_with_its_last_lines():
    code = "import sys; print('config is broken', flush=True); sys.exit(3)"
    stack = Stack(
        [python("broken", code), python("waiting", "import time; time.sleep(60)", port=1)],
        output=io.StringIO(),
    )
    with stack, pytest.raises(StackError) as failure:
        stack.wait_until_healthy(timeout=10)

    assert "broken exited with code 3" in str(failure.value)
    assert "config is broken" in str(failure.value)


def test_a_program_that_never_listens_is_named_when_time_runs_out():
    stack = Stack([python("mute", "import time; time.sleep(60)", port=1)], output=io.StringIO())
    with stack, pytest.raises(StackError) as failure:
        stack.wait_until_healthy(timeout=1)

    assert "mute (port 1)" in str(failure.value)


def test_a_supervised_program_that_dies_is_started_again_and_the_supervisor_says_so():
    code = "import os, time; print('up', os.getpid(), flush=True); time.sleep(60)"
    output = io.StringIO()
    stack = Stack([python("worker", code)], output=output, restart=True)
    with stack:
        first_pid = int(wait_for_line(stack, "worker", "up").split()[1])
        stack.kill("worker")
        deadline = time.monotonic() + 10
        while stack.restarts["worker"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        second_pid = int(wait_for_line(stack, "worker", "up").split()[1])

    assert second_pid != first_pid
    said = output.getvalue()
    assert "worker exited with code -9; restarting it in 1 s" in said
    assert "restarting worker (restart 1)" in said


def test_a_program_that_keeps_dying_waits_longer_before_each_restart():
    output = io.StringIO()
    stack = Stack([python("crasher", "raise SystemExit(2)")], output=output, restart=True)
    with stack:
        deadline = time.monotonic() + 10
        while "restarting it in 4 s" not in output.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)

    said = output.getvalue()
    assert said.index("restarting it in 1 s") < said.index("restarting it in 2 s")
    assert "crasher exited with code 2; restarting it in 4 s" in said
