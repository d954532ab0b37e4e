"""Which process of the running system owns a TCP connection, from /proc (Linux): with two
processes of each service, a fault case kills the one doing the work it watches (the one whose
call the Stripe proxy holds, say), not whichever came first."""

from __future__ import annotations

import os
from pathlib import Path


def _socket_inodes(local_port: int) -> set[str]:
    """The inodes of the TCP sockets bound locally to `local_port` (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(fields[9])
    return inodes


def owner_of_port(pids: dict[str, int], local_port: int) -> str | None:
    """Of `pids` (name -> process id), the one holding a socket on `local_port`, if any."""
    wanted = {f"socket:[{inode}]" for inode in _socket_inodes(local_port)}
    for name, pid in pids.items():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    return name
            except OSError:
                continue
    return None
