"""C2: browsing data (IP address, browser, operating system) is recorded only while the
customer has granted analytics cookies (CK1); the IP only as a keyed hash, never raw."""

from __future__ import annotations

from collections.abc import Mapping

from allwan_contracts import ConsentPurpose

from allwan_consent.domain.purposes import PurposeState, in_force


def may_record_browsing(purposes: Mapping[ConsentPurpose, PurposeState], *, erased: bool) -> bool:
    """Whether browsing data may be recorded for a customer with these consents now.

    Off by default (CK2); a withdrawn, or a suspended (re-confirmation pending), analytics
    consent stops it, and so does erasure.
    """
    return in_force(purposes.get(ConsentPurpose.ANALYTICS_COOKIES), erased=erased)
