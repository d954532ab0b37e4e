"""Put each source root on the interpreter's path with one .pth file: the repo root (deploy,
tests), kit, each service folder and the gateway.

python deploy/write_pth.py [ROOT ...]   (no arguments: the roots of deploy/stack.py's SERVICES)
"""

import pathlib
import sys
import sysconfig

from stack import SERVICES  # deploy/ is this script's folder, so first on the path


def main(roots: list[str]) -> None:
    roots = roots or [".", "kit", *(f"services/{name}" for name in SERVICES), "gateway"]
    target = pathlib.Path(sysconfig.get_paths()["purelib"], "agency-platform.pth")
    target.write_text("".join(f"{pathlib.Path(root).resolve()}\n" for root in roots))


if __name__ == "__main__":
    main(sys.argv[1:])
