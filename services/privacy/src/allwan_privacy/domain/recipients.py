"""The recipient registry: everyone who may receive a customer's personal data from the
store, what they receive and why (D1-D3, T1, P2).

Recipients are configuration (``schedule/recipients.toml``); every ``DataDisclosed`` names
one of them by id. The registry is checked once, when the service starts: a registry that
breaks a rule here stops the service rather than let a disclosure name someone it cannot
describe.
"""

from __future__ import annotations

from collections.abc import Iterable

from allwan_contracts.accountability import Recipient
from allwan_contracts.disclosures import LegalBasis, RecipientRole


class RegistryInvalid(ValueError):
    """The registry breaks one of its rules; the message names the rule and the recipient's
    id (configuration, never personal data)."""


class RecipientRegistry:
    """The registry's recipients by id, in the order the file lists them."""

    def __init__(self, recipients: Iterable[Recipient]) -> None:
        self._by_id: dict[str, Recipient] = {}
        for recipient in recipients:
            _check(recipient)
            if recipient.id in self._by_id:
                raise RegistryInvalid(f"recipient {recipient.id!r} is listed twice")
            self._by_id[recipient.id] = recipient
        if not self._by_id:
            raise RegistryInvalid("the registry lists no recipient")

    def __contains__(self, recipient_id: object) -> bool:
        return recipient_id in self._by_id

    def get(self, recipient_id: str) -> Recipient | None:
        return self._by_id.get(recipient_id)

    def name_of(self, recipient_id: str) -> str:
        """The recipient's name; its id when the registry does not know it, so a disclosure
        to an id missing here still shows whom it went to."""
        recipient = self._by_id.get(recipient_id)
        return recipient_id if recipient is None else recipient.name

    @property
    def recipients(self) -> list[Recipient]:
        return list(self._by_id.values())


def _check(recipient: Recipient) -> None:
    where = f"recipient {recipient.id!r}"
    if not recipient.name.strip() or not recipient.why.strip():
        raise RegistryInvalid(f"{where} needs a name and a reason (why)")
    if not recipient.receives:
        raise RegistryInvalid(f"{where} receives no category of data")
    if len(set(recipient.receives)) != len(recipient.receives):
        raise RegistryInvalid(f"{where} names a category twice")
    # D2: a public body receives data only because the law says so, and the law is the only
    # basis on which the store hands data to one.
    authority = recipient.role is RecipientRole.AUTHORITY
    if authority != (recipient.legal_basis is LegalBasis.LAW):
        raise RegistryInvalid(f"{where}: an authority, and only one, receives by law (D2)")
