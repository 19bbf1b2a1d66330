"""AES-256-GCM sealing and the master keyring that wraps data keys. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from allwan_contracts import Sealed, SealedDocument
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ERASED = "[erased]"
"""What readers show in place of personal data whose key was destroyed."""

KEY_BYTES = 32
NONCE_BYTES = 12


def b64(data: bytes) -> str:
    """Unpadded base64url, as ``Sealed`` carries it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """Inverse of ``b64``."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_master_key() -> str:
    """A fresh 256-bit master key, base64url, for ``ALLWAN_MASTER_KEYS``."""
    return b64(os.urandom(KEY_BYTES))


_FIELD_CT_MAX = 16_384  # ``Sealed.ct``'s limit


def _aad(kid: str, field: str) -> bytes:
    # Binding the key id and the field name stops a sealed value from being moved to another
    # customer or another field and still opening.
    return f"allwan/v1|{kid}|{field}".encode()


def seal(data_key: bytes, kid: str, field: str, plaintext: str) -> Sealed:
    """Encrypt one personal value under a customer's data key.

    A value too long for a personal field (an export part, an export) comes back as a
    ``SealedDocument``: the same cipher and shape, sized for documents.
    """
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = b64(AESGCM(data_key).encrypt(nonce, plaintext.encode(), _aad(kid, field)))
    model = Sealed if len(ciphertext) <= _FIELD_CT_MAX else SealedDocument
    return model(alg="A256GCM", kid=kid, iv=b64(nonce), ct=ciphertext)


def open_sealed(data_key: bytes, sealed: Sealed, field: str) -> str:
    """Decrypt one personal value; ``InvalidTag`` if it was tampered with or moved."""
    plaintext = AESGCM(data_key).decrypt(
        unb64(sealed.iv), unb64(sealed.ct), _aad(sealed.kid, field)
    )
    return plaintext.decode()


@dataclass(frozen=True)
class MasterKeyring:
    """Master keys by id; new data keys are wrapped with the active one.

    Configured as ``ALLWAN_MASTER_KEYS="<id>:<base64url key>,<id>:<key>"`` and
    ``ALLWAN_MASTER_KEY_ID=<id>`` (from the environment or a Kubernetes Secret). Older keys stay
    listed until every data key was re-wrapped (``KeyStore.rewrap``), then they can go.
    The blind-index key (``ALLWAN_BLIND_INDEX_KEY``) is separate and never rotates with them,
    or every index would have to be rebuilt.
    """

    keys: dict[str, bytes]
    active_id: str
    index_key: bytes

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise ValueError("the active master key id is not in the keyring")
        if any(len(key) != KEY_BYTES for key in (*self.keys.values(), self.index_key)):
            raise ValueError("master and index keys must be 256 bits")

    @classmethod
    def parse(cls, spec: str, index_key: str, active_id: str | None = None) -> MasterKeyring:
        """Read the ``id:key,id:key`` form; the active key defaults to the last one."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kid, sep, encoded = item.partition(":")
            if not sep or not kid:
                raise ValueError("master keys are written id:base64url-key")
            keys[kid] = unb64(encoded)
        if not keys:
            raise ValueError("no master key configured")
        return cls(keys=keys, active_id=active_id or list(keys)[-1], index_key=unb64(index_key))

    def wrap(self, data_key: bytes, kid: str) -> tuple[str, str]:
        """Encrypt a data key under the active master key: ``(master key id, wrapped)``.

        The wrapped key is bound to its key id (the subject itself for a first generation, so
        keys wrapped before generations existed still unwrap): a wrapped key copied to another
        customer or another generation does not unwrap.
        """
        nonce = os.urandom(NONCE_BYTES)
        aad = f"allwan/datakey|{kid}".encode()
        wrapped = AESGCM(self.keys[self.active_id]).encrypt(nonce, data_key, aad)
        return self.active_id, b64(nonce + wrapped)

    def unwrap(self, master_id: str, wrapped: str, kid: str) -> bytes:
        """Decrypt a data key wrapped by ``wrap`` under any key still in the ring."""
        raw = unb64(wrapped)
        aad = f"allwan/datakey|{kid}".encode()
        return AESGCM(self.keys[master_id]).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash to find a record by a personal value without storing it (e.g. a phone)."""
        return hmac.new(self.index_key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()
