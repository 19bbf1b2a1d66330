"""The consents, policy versions and catalogue the API shows, built from their owners' events
in the gateway's own database.

Every document is read by its ``_id`` (see README): a customer's consents by the customer id,
each entry of their proof by ``<customer>@<version>``, a policy version by ``privacy:v<n>``
(the one in force by ``privacy:current``), the catalogue by its id. Updates are applied once
per aggregate version (``apply_once``), so redelivery changes nothing. No personal data is
projected: ids, statuses and policy texts only (T2).
"""

from __future__ import annotations

from allwan_contracts import (
    CatalogueUpdated,
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    Event,
    PolicyChanged,
    PolicyDocumentPublished,
)
from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document

from allwan_gateway.adapters.order_views import CUSTOMER_ORDERS, ORDERS
from allwan_gateway.handlers.ports import Documents

CONSENTS = "consents"
CONSENT_HISTORY = "consent_history"
POLICIES = "policies"
CATALOGUE = "catalogue"
CURRENT_POLICY = "privacy:current"
COLLECTIONS = (ORDERS, CUSTOMER_ORDERS, CONSENTS, CONSENT_HISTORY, POLICIES, CATALOGUE)
"""The read models a rebuild drops and refills; the privacy views are kept (the proof of each
request outlives the 30 days ``allwan.privacy`` keeps), and re-applying their events changes
nothing (``apply_once``)."""
CONSENT_EVENTS: tuple[type[Event], ...] = (
    ConsentGranted,
    ConsentWithdrawn,
    ConsentReconfirmationRequired,
    CustomerErased,
)
POLICY_EVENTS: tuple[type[Event], ...] = (PolicyDocumentPublished, PolicyChanged)


def consent_fields(envelope: Envelope, event: Event) -> Document:
    """What one ledger event says about the customer's purposes (K2, K3, CK1)."""
    match event:
        case ConsentGranted() | ConsentWithdrawn():
            granted = isinstance(event, ConsentGranted)
            state = {
                "status": "granted" if granted else "withdrawn",
                "policy_version": event.policy_version,
                "reconfirm_for": None,
                "channel": event.channel.value,
                "changed_at": envelope.occurred_at,
            }
            return {f"purposes.{event.purpose.value}": state}
        case ConsentReconfirmationRequired():
            state = {
                "status": "reconfirmation_required",
                "policy_version": event.granted_under_version,
                "reconfirm_for": event.policy_version,
                "channel": None,
                "changed_at": envelope.occurred_at,
            }
            return {f"purposes.{event.purpose.value}": state}
        case CustomerErased():
            return {"erased": True, "erased_at": event.erased_at}
    return {}


def proof_entry(envelope: Envelope, event: Event) -> Document:
    """One entry of the customer's consent proof (K3): what, how, under which version."""
    entry: Document = event.model_dump(mode="json", exclude={"customer_id"})
    return entry | {"event_type": envelope.event_type, "occurred_at": envelope.occurred_at}


async def project_consent(event: Event, envelope: Envelope, documents: Documents) -> None:
    """A customer's consents per purpose, and one proof entry per ledger version (K3)."""
    if envelope.aggregate_type != "customer":
        return  # CustomerContactChanged: the gateway keeps no contact details
    fields = consent_fields(envelope, event)
    if not fields:
        return
    customer, version = envelope.aggregate_id, envelope.aggregate_version
    entry = proof_entry(envelope, event) | {"customer_id": customer, "version": version}
    await documents.apply_once(CONSENT_HISTORY, f"{customer}@{version}", version, entry)
    await documents.apply_once(CONSENTS, customer, version, fields)


async def project_policy(event: Event, envelope: Envelope, documents: Documents) -> None:
    """A version's texts, then its publication, which makes it the one in force (PC1)."""
    version = envelope.aggregate_version
    if isinstance(event, PolicyDocumentPublished):
        fields = event.model_dump(mode="json", include={"version", "text_ar", "text_en"})
        fields["contact"] = event.contact.model_dump(mode="json")
    elif isinstance(event, PolicyChanged):
        fields = event.model_dump(
            mode="json", include={"version", "material", "summary_ar", "summary_en", "url"}
        )
        fields |= {"effective_at": event.effective_at, "published_at": envelope.occurred_at}
    else:
        return
    await documents.apply_once(POLICIES, f"privacy:v{event.version}", version, fields)
    if isinstance(event, PolicyChanged):
        # PC1: served from the moment its PolicyChanged is projected, texts already in.
        await documents.apply_once(POLICIES, CURRENT_POLICY, version, {"version": event.version})


async def project_catalogue(
    event: CatalogueUpdated, envelope: Envelope, documents: Documents
) -> None:
    """The catalogue orders published last: what the storefront shows is what orders prices."""
    fields = event.model_dump(mode="json", exclude={"catalogue_id"})
    fields["updated_at"] = envelope.occurred_at
    await documents.apply_once(CATALOGUE, event.catalogue_id, envelope.aggregate_version, fields)
