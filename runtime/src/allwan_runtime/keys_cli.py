"""Master-key operations for operators: ``python -m allwan_runtime.keys_cli <command>``.

- ``generate``: print a fresh 256-bit master key (base64url) to add to ``ALLWAN_MASTER_KEYS``;
- ``status``: how many customers' data keys are wrapped under each master key id;
- ``rewrap``: re-wrap every data key under the active master key (``ALLWAN_MASTER_KEY_ID``).

Rotation (deploy/README.md): add the new key to ``ALLWAN_MASTER_KEYS`` next to the old one,
set ``ALLWAN_MASTER_KEY_ID`` to it, roll the services, run ``rewrap``, check with ``status``
that nothing is left under the old id, then remove the old key. Configured like a service:
``ALLWAN_MONGO_URL``, ``ALLWAN_KEYS_DB``, ``ALLWAN_MASTER_KEYS``, ``ALLWAN_MASTER_KEY_ID``,
``ALLWAN_BLIND_INDEX_KEY``. Prints counts only, never a key (``generate`` aside).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from allwan_runtime.keystore import KeyStore, MasterKeyring, generate_master_key
from allwan_runtime.keystore.store import DATA_KEYS
from allwan_runtime.mongo import connect
from allwan_runtime.settings import RuntimeSettings

SHREDDED = "(shredded)"
"""The ``status`` entry of customers whose key was destroyed (erasure): nothing to re-wrap."""


def keyring(settings: RuntimeSettings) -> MasterKeyring:
    """The master keyring the settings describe; ``ValueError`` if they describe none."""
    if settings.master_keys is None or settings.blind_index_key is None:
        raise ValueError("ALLWAN_MASTER_KEYS and ALLWAN_BLIND_INDEX_KEY must be set")
    return MasterKeyring.parse(
        settings.master_keys.get_secret_value(),
        settings.blind_index_key.get_secret_value(),
        settings.master_key_id,
    )


async def rewrap(settings: RuntimeSettings, batch_size: int = 500) -> int:
    """Re-wrap every data key not under the active master key; the number re-wrapped."""
    ring = keyring(settings)
    client = connect(settings)
    try:
        store = KeyStore(client[settings.keys_db], ring, service="keys-cli", purposes=())
        return await store.rewrap(batch_size=batch_size)
    finally:
        await client.close()


async def status(settings: RuntimeSettings) -> dict[str, int]:
    """Data keys per master key id (``SHREDDED``: erased customers), read from the key store."""
    client = connect(settings)
    try:
        counts: dict[str, int] = {}
        cursor = client[settings.keys_db][DATA_KEYS].find({}, projection={"master_kid": 1})
        async for document in cursor:
            kid = str(document.get("master_kid", SHREDDED))
            counts[kid] = counts.get(kid, 0) + 1
        return dict(sorted(counts.items()))
    finally:
        await client.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m allwan_runtime.keys_cli", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="print a fresh master key (base64url, 256 bits)")
    commands.add_parser("status", help="data keys per master key id")
    rewrap_cmd = commands.add_parser("rewrap", help="re-wrap data keys under the active key")
    rewrap_cmd.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    if args.command == "generate":
        print(generate_master_key())
        return 0
    settings = RuntimeSettings()
    try:
        if args.command == "status":
            counts = asyncio.run(status(settings))
            print(json.dumps({"active": keyring(settings).active_id, "data_keys": counts}))
        else:
            count = asyncio.run(rewrap(settings, batch_size=args.batch_size))
            active = keyring(settings).active_id
            print(json.dumps({"rewrapped": count, "active": active}))
    except (ValueError, KeyError) as error:
        # KeyError: a data key is wrapped under an id no longer in ALLWAN_MASTER_KEYS.
        print(f"keys_cli: {error!s}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
