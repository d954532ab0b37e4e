"""localstripe with its state in a file of our choosing.

localstripe pickles its whole store to the fixed path /tmp/localstripe.pickle after every write,
so two copies on one machine (`make run` and a test run) would overwrite each other's customers
and payment intents. This runs the same server with the store read from and written to `--state`.

    python -m deploy.localstripe --state .run/localstripe.pickle --port 8420 [--from-scratch]
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

from localstripe import resources, server


def keep_state_in(path: Path) -> None:
    """Point localstripe's store at `path` instead of /tmp/localstripe.pickle."""

    def load(store: resources.Store) -> None:
        if path.exists():
            with path.open("rb") as f:
                saved = pickle.load(f)
            store.clear()
            store.update(saved)

    def dump(store: resources.Store) -> None:
        partial = path.with_suffix(".partial")
        with partial.open("wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # a crash mid-write never leaves half a store behind

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="where the store is kept")
    ours, theirs = parser.parse_known_args()
    ours.state.parent.mkdir(parents=True, exist_ok=True)
    keep_state_in(ours.state)
    sys.argv = [sys.argv[0], *theirs]  # --port and --from-scratch are localstripe's own
    server.start()


if __name__ == "__main__":
    main()
