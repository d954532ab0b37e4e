"""Stops a running system's programs when the process that started them dies, however it died.

deploy.stack.Stack starts one watchdog (in a session of its own, so a signal to the test run's
process group does not stop it first) and keeps the write end of a pipe to its stdin. Each
program's process group is announced as `+<pgid>` (and `-<pgid>` when it has exited); `done`
means the stack stopped its programs itself. End of file without `done` means the parent died
(SIGKILL, a crash, a killed test run): the watchdog sends SIGTERM to every group it knows,
SIGKILL to those still there after GRACE seconds, and exits. Nothing is left with parent pid 1.

Why not PR_SET_PDEATHSIG: it fires when the *thread* that forked the child exits, not the
process, and the stack's supervisor restarts programs from a thread of its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

GRACE = 5.0


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_groups(groups: set[int], grace: float = GRACE) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in [g for g in groups if alive(g)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, sig)
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 2.0)
        while any(alive(g) for g in groups) and time.monotonic() < deadline:
            time.sleep(0.1)


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    groups: set[int] = set()
    for line in sys.stdin:
        command = line.strip()
        if command == "done":
            return 0
        if command[:1] == "+":
            groups.add(int(command[1:]))
        elif command[:1] == "-":
            groups.discard(int(command[1:]))
    stop_groups(groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
