"""The consent service's part in privacy requests (PDPL access, correction, erasure).

The privacy service starts a request (``PrivacyRequestStarted``) and waits for every service
holding the customer's data to answer on ``allwan.privacy.replies``. Each answer is recorded
once, on a stream of its own (``reply_id``), so a redelivered input records nothing twice.
"""

from __future__ import annotations

import structlog
from allwan_contracts import (
    CorrectionApplied,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    ErasureReason,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    SealedDocument,
    reply_id,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_runtime.keystore import ERASED, Purpose

from allwan_consent.domain.access import consents_part
from allwan_consent.domain.phones import to_e164
from allwan_consent.handlers.consent import erase
from allwan_consent.handlers.ports import Deps

log = structlog.get_logger(__name__)


async def fulfil_privacy_request(
    started: PrivacyRequestStarted, envelope: Envelope, deps: Deps
) -> None:
    """Work on a request starts. Access: this service's part of the export. Erasure: the
    crypto-shredding path, as the customer's request by the channel they used (confirmed by
    ``confirm_erasure`` once it is done). A correction is answered when the owner of the
    contact records it (``apply_correction``): there is nothing to do before."""
    if started.kind is PrivacyRequestKind.ACCESS:
        await _export_consents(started, envelope, deps)
    elif started.kind is PrivacyRequestKind.ERASURE:
        await erase(
            started.customer_id, ErasureReason.CUSTOMER_REQUEST, started.channel, envelope, deps
        )


async def _export_consents(started: PrivacyRequestStarted, envelope: Envelope, deps: Deps) -> None:
    """The consent history with its proof and the cookie preferences, sealed under the
    customer's key (T2) for the privacy service to assemble; nothing held for a customer
    the ledger never saw or who was erased."""
    customer = started.customer_id
    part = consents_part(await deps.history.records(customer))
    sealed: SealedDocument | None = None
    if part is not None:
        try:
            value = await deps.secrets.seal(customer, EXPORT_PART_FIELD, part.model_dump_json())
        except LookupError:  # the key is shredded (an erasure not yet recorded): none is made
            log.info("privacy.export_customer_erased", request_id=started.request_id)
        else:
            sealed = SealedDocument(**value.model_dump())
    exported = CustomerDataExported(
        reply_id=reply_id(started.request_id, deps.service),
        request_id=started.request_id,
        customer_id=customer,
        service=deps.service,
        part_name="consents",
        part=sealed,
        nothing_held=sealed is None,
        exported_at=deps.clock(),
    )
    recorded = await deps.recorder.first(exported, envelope.correlation_id)
    log.info(
        "privacy.consents_exported",
        request_id=started.request_id,
        nothing_held=exported.nothing_held,
        recorded=recorded,
    )


async def apply_correction(changed: CustomerContactChanged, envelope: Envelope, deps: Deps) -> None:
    """PDPL correction: the phone index follows the corrected contact, then the request is
    answered (``CorrectionApplied``), whether or not the phone changed.

    The old number's blind index goes, so a WhatsApp message from it no longer finds the
    customer. A phone that no longer opens (the customer was erased, or a later correction
    retired this one's key generation and will be applied next) leaves no entry at all.
    Contact changes that correct nothing (learnt from Salla) are not read: the index
    follows orders (``index_phone``).
    """
    if changed.request_id is None:
        return
    customer, secrets = changed.customer_id, deps.secrets
    phone = await secrets.open(
        changed.contact.phone, field="phone", purpose=Purpose.CONSENT_MATCHING
    )
    number = None if phone == ERASED else to_e164(phone, deps.country_code)
    if number is None:
        await deps.phones.forget(customer)
    else:
        await deps.phones.replace(customer, secrets.blind_index("phone", number))
        if await secrets.is_erased(customer):  # erased while we were indexing
            await deps.phones.forget(customer)
    applied = CorrectionApplied(
        reply_id=reply_id(changed.request_id, deps.service),
        request_id=changed.request_id,
        customer_id=customer,
        service=deps.service,
        applied_at=deps.clock(),
    )
    recorded = await deps.recorder.first(applied, envelope.correlation_id)
    log.info(
        "privacy.correction_applied",
        request_id=changed.request_id,
        phone_indexed=number is not None,
        recorded=recorded,
    )


async def confirm_erasure(erased: CustomerErased, envelope: Envelope, deps: Deps) -> None:
    """Confirm to the privacy service that nothing readable of an erased customer is left
    here (every erasure, asked for or at the end of retention), once per customer.

    This service records ``CustomerErased`` only after the key is shredded and the phone
    forgotten; it forgets the phone again, in case an order indexed it meanwhile. The
    consent read models hold no personal data (ids, purposes, versions, channels, keyed
    hashes): they stay as the controller's proof.
    """
    customer = erased.customer_id
    await deps.phones.forget(customer)
    confirmed = ErasureConfirmed(
        reply_id=reply_id(customer, deps.service),
        customer_id=customer,
        service=deps.service,
        confirmed_at=deps.clock(),
    )
    recorded = await deps.recorder.first(confirmed, envelope.correlation_id)
    log.info("privacy.erasure_confirmed", customer_id=customer, recorded=recorded)
