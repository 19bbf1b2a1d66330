"""Per-customer encryption of personal data, with purpose-bound access and crypto-shredding.

Every customer has their own AES-256 data key; personal fields are sealed under it with
AES-256-GCM (T2). Data keys are stored wrapped by a master key (``ALLWAN_MASTER_KEYS``), which
carries a key id so it can be rotated. Destroying a customer's data key makes every copy of
their personal data unreadable at once, in every topic, store and backup (erasure, PDPL).

A customer's data key has generations, so that one corrected value can be made unreadable
without erasing the customer (correction, PDPL). The first generation's key id (``kid``) is the
customer id itself, as for every value sealed before generations existed; ``rotate`` makes
generation n with kid ``<customer id>.<n>``, which every later ``seal`` uses, and ``retire``
destroys the older generations: values sealed under them (the old value and all its copies)
open to ``ERASED`` from then on. ``allwan_contracts.sealed.subject_of`` maps a kid back to its
customer; ``shred`` destroys every generation.

Services open personal data only for purposes they hold (C4): each ``KeyStore`` is built with
the purposes of its service, and opening for any other purpose is refused.
"""

from allwan_runtime.keystore.cipher import ERASED, MasterKeyring, generate_master_key
from allwan_runtime.keystore.lazy import LazyKeyStore
from allwan_runtime.keystore.memory import InMemoryKeyStore
from allwan_runtime.keystore.purposes import Purpose, PurposeNotGranted
from allwan_runtime.keystore.store import KeyStore

__all__ = [
    "ERASED",
    "InMemoryKeyStore",
    "KeyStore",
    "LazyKeyStore",
    "MasterKeyring",
    "Purpose",
    "PurposeNotGranted",
    "generate_master_key",
]
