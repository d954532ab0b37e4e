"""Re-encrypt every vault password with the first of VAULT_KEYS.

    VAULT_KEYS=new_key,old_key python -m clients.rotate_vault_keys

Put the new key first and keep the old ones after it; run this; then the old keys can be
removed from VAULT_KEYS. Safe to run again: entries already under the first key are re-sealed.
"""

from __future__ import annotations

import sys

from sqlalchemy.orm import Session

from clients.vault import rotate
from kit.config import load_config
from kit.db import DATABASE_URL_KEY, make_engine
from kit.encryption import cipher_from_config


def main(database_url: str | None = None) -> int:
    config = load_config("clients")
    engine = make_engine(database_url or config[DATABASE_URL_KEY], pool_size=1)
    try:
        with Session(engine) as session:
            count = rotate(session, cipher_from_config(config))
    finally:
        engine.dispose()
    print(f"clients: {count} vault passwords re-encrypted with the current key")
    return count


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
