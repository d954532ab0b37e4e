"""A killed test run leaves no program behind: the processes deploy.stack started die with the
process that started them, even when it is SIGKILLed and even when the thread that started
them is long gone (PR_SET_PDEATHSIG would have killed them with that thread)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Starts a stack of two programs (one of which starts a grandchild in its own group) from a
# thread that then ends, prints the programs' pids, and sleeps until killed.
STARTER = textwrap.dedent(
    """
    import sys, threading, time
    from deploy.stack import PYTHON, Program, Stack

    sleeper = (PYTHON, "-c", "import time; time.sleep(600)")
    parent = (PYTHON, "-c", "import subprocess, sys, time; "
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
              "time.sleep(600)")
    stack = Stack([Program("one", sleeper), Program("two", parent)], output=open("/dev/null", "w"))
    starter = threading.Thread(target=stack.start)
    starter.start()
    starter.join()
    time.sleep(1.0)
    print(" ".join(str(r.process.pid) for r in stack.running.values()), flush=True)
    time.sleep(600)
    """
)


def group_members(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,pgid="], capture_output=True, text=True).stdout
    return [int(p) for p, g in (line.split() for line in out.splitlines()) if int(g) == pgid]


def test_the_programs_die_with_the_process_that_started_them_even_when_it_is_killed():
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in starter.stdout.readline().split()]
        assert len(pids) == 2
        time.sleep(1.0)  # the thread that started them has ended; they still run
        groups = {pid: group_members(pid) for pid in pids}
        assert all(groups.values()), groups
        assert len(groups[pids[1]]) == 2  # the second program and its own child

        os.kill(starter.pid, signal.SIGKILL)
        starter.wait()
        deadline = time.monotonic() + 10
        while any(group_members(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = {pid: group_members(pid) for pid in pids}
        assert not any(left.values()), f"still running after the starter was killed: {left}"
    finally:
        starter.kill()
        for pid in pids if "pids" in locals() else []:
            for member in group_members(pid):
                os.kill(member, signal.SIGKILL)
