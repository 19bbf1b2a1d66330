"""Versioned integration events of allwan: models, envelope, topics, upcasting, codec.

Services depend on this library, never on each other. It does no I/O.
"""

from allwan_contracts.base import Event
from allwan_contracts.browsers import BrowserFamily, DeviceClass, browser_of
from allwan_contracts.catalogue import CataloguePlan, CatalogueProduct, CatalogueUpdated
from allwan_contracts.codec import decode, encode
from allwan_contracts.consent import (
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
)
from allwan_contracts.customers import (
    CustomerContact,
    CustomerContactChanged,
    CustomerErased,
    ErasureReason,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.errors import (
    ContractError,
    ContractViolation,
    MalformedMessage,
    UnknownEventType,
    UnsupportedSchemaVersion,
)
from allwan_contracts.fields import Channel, reject_card_numbers
from allwan_contracts.orders import (
    ORDER_EVENTS,
    AgeAttestation,
    CancellationReason,
    CardBrand,
    ExpiryReason,
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    OrderRequestKind,
    RefundReason,
    RejectionReason,
    SubscriptionActivated,
    vat_for,
)
from allwan_contracts.policies import PolicyChanged, PolicyContact, PolicyDocumentPublished
from allwan_contracts.registry import (
    REGISTRY,
    EventRegistry,
    event_class,
    latest_version,
    new_envelope,
    read_event,
)
from allwan_contracts.sealed import Sealed
from allwan_contracts.topics import (
    ALL_TOPICS,
    CATALOGUE,
    CONSENT,
    CUSTOMERS,
    ORDERS,
    POLICIES,
    TopicSpec,
    dead_letter_spec,
    dead_letter_topic,
    topic_spec,
)
from allwan_contracts.upcasting import Upcaster

__all__ = [
    "ALL_TOPICS",
    "CATALOGUE",
    "CONSENT",
    "CUSTOMERS",
    "ORDERS",
    "ORDER_EVENTS",
    "POLICIES",
    "REGISTRY",
    "AgeAttestation",
    "BrowserFamily",
    "CancellationReason",
    "CardBrand",
    "CataloguePlan",
    "CatalogueProduct",
    "CatalogueUpdated",
    "Channel",
    "ConsentEvidence",
    "ConsentGranted",
    "ConsentPurpose",
    "ConsentReconfirmationRequired",
    "ConsentWithdrawn",
    "ContractError",
    "ContractViolation",
    "CustomerContact",
    "CustomerContactChanged",
    "CustomerErased",
    "DeviceClass",
    "Envelope",
    "ErasureReason",
    "Event",
    "EventRegistry",
    "ExpiryReason",
    "MalformedMessage",
    "OrderCancelled",
    "OrderExpired",
    "OrderPaid",
    "OrderPlaced",
    "OrderRefunded",
    "OrderRejected",
    "OrderRequestKind",
    "PolicyChanged",
    "PolicyContact",
    "PolicyDocumentPublished",
    "RefundReason",
    "RejectionReason",
    "Sealed",
    "SubscriptionActivated",
    "TopicSpec",
    "UnknownEventType",
    "UnsupportedSchemaVersion",
    "Upcaster",
    "browser_of",
    "dead_letter_spec",
    "dead_letter_topic",
    "decode",
    "encode",
    "event_class",
    "latest_version",
    "new_envelope",
    "read_event",
    "reject_card_numbers",
    "topic_spec",
    "vat_for",
]
