"""Reading WhatsApp Business Cloud API webhook bodies, and what an opt-out in one asks (K3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_consent.domain.ledger import ConsentChange, ConsentLedger
from allwan_consent.domain.whatsapp import (
    InboundText,
    MalformedWebhook,
    opt_out,
    parse_delivery,
    withdraw_everyone_sharing,
)
from allwan_contracts import Channel, ConsentEvidence, ConsentPurpose
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.consent.fakes import text_message, whatsapp_body


def test_k3_a_text_message_gives_its_sender_id_body_and_time() -> None:
    body = whatsapp_body(text_message("966563120415", "STOP", "wamid.ABC="))

    delivery = parse_delivery(body)

    sent_at = datetime(2025, 6, 25, 13, 16, 24, tzinfo=UTC)  # its timestamp, 1750857384
    assert delivery.texts == (InboundText("966563120415", "wamid.ABC=", "STOP", sent_at),)
    assert (delivery.other_messages, delivery.statuses, delivery.malformed) == (0, 0, 0)


def test_status_callbacks_carry_no_messages() -> None:
    delivery = parse_delivery(whatsapp_body(statuses=3))

    assert delivery.texts == ()
    assert delivery.statuses == 3


@pytest.mark.parametrize(
    "message",
    [
        {"type": "image", "image": {"id": "media-1", "mime_type": "image/jpeg", "sha256": "x"}},
        {"type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "👍"}},
        {"type": "audio", "audio": {"id": "media-2", "voice": True}},
        {"type": "text"},
        {"type": "text", "text": {"body": 42}},
        {"type": "unsupported", "errors": [{"code": 131051}]},
    ],
)
def test_messages_that_are_not_typed_text_are_counted_not_read(message: dict[str, Any]) -> None:
    full = {"from": "966563120415", "id": "wamid.X", "timestamp": "1"} | message

    delivery = parse_delivery(whatsapp_body(full))

    assert delivery.texts == ()
    assert delivery.other_messages == 1


def test_k3_a_template_quick_reply_button_is_read_as_what_the_customer_tapped() -> None:
    button = {
        "from": "966563120415",
        "id": "wamid.BTN",
        "timestamp": "1",
        "type": "button",
        "button": {"payload": "STOP_PROMOTIONS", "text": "Stop promotions"},
    }

    delivery = parse_delivery(whatsapp_body(button))

    assert delivery.texts == (
        InboundText("966563120415", "wamid.BTN", "Stop promotions", datetime.fromtimestamp(1, UTC)),
    )


@pytest.mark.parametrize("stamp", [None, "", "soon", "-5", "1.5", "99999999999999", 1750857384])
def test_a_message_without_a_readable_timestamp_is_read_without_its_time(stamp: Any) -> None:
    message = text_message("966563120415", "STOP")
    message["timestamp"] = stamp

    (text,) = parse_delivery(whatsapp_body(message)).texts

    assert (text.text, text.sent_at) == ("STOP", None)


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "wamid.1", "type": "text", "text": {"body": "stop"}},
        {"from": "+966563120415", "id": "wamid.1", "type": "text", "text": {"body": "stop"}},
        {"from": "966563120415", "type": "text", "text": {"body": "stop"}},
        {"from": "966563120415", "id": "wamid with spaces", "type": "text", "text": {"body": "s"}},
    ],
)
def test_messages_without_a_valid_sender_or_id_are_counted_as_malformed(
    broken: dict[str, Any],
) -> None:
    delivery = parse_delivery(whatsapp_body(broken))

    assert delivery.texts == ()
    assert delivery.malformed == 1


def test_every_entry_and_change_of_a_batched_delivery_is_read() -> None:
    one = json.loads(whatsapp_body(text_message("966500000001", "stop", "wamid.1")))
    two = json.loads(whatsapp_body(text_message("966500000002", "hi", "wamid.2"), statuses=1))
    one["entry"].append(two["entry"][0])
    one["entry"][0]["changes"].append({"field": "account_update", "value": {"event": "X"}})

    delivery = parse_delivery(json.dumps(one))

    assert [t.message_id for t in delivery.texts] == ["wamid.1", "wamid.2"]
    assert delivery.statuses == 1


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"object": "page", "entry": []}', '"whatsapp_business_account"'],
)
def test_a_body_that_is_not_a_whatsapp_business_webhook_is_refused(body: str) -> None:
    with pytest.raises(MalformedWebhook):
        parse_delivery(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "entry",
                    "changes",
                    "value",
                    "messages",
                    "from",
                    "id",
                    "type",
                    "text",
                    "body",
                    "statuses",
                    "field",
                    "button",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@given(json_values)
def test_any_json_under_the_right_object_parses_or_is_refused_never_crashes(entry: Any) -> None:
    body = json.dumps({"object": "whatsapp_business_account", "entry": entry})

    delivery = parse_delivery(body)

    assert all(isinstance(t.text, str) and t.sender.isdigit() for t in delivery.texts)


def test_k3_an_opt_out_withdraws_marketing_by_whatsapp_proven_by_its_message() -> None:
    change = opt_out(InboundText("966563120415", "wamid.77", "إيقاف"), policy_version=3)

    assert change is not None
    assert (change.purpose, change.channel, change.policy_version) == (
        ConsentPurpose.MARKETING,
        Channel.WHATSAPP,
        3,
    )
    assert change.evidence == ConsentEvidence(message_reference="wamid.77")


def test_a_text_that_is_not_an_opt_out_asks_for_nothing() -> None:
    assert opt_out(InboundText("966563120415", "wamid.1", "مرحبا"), policy_version=1) is None


def test_c3_k3_an_opt_out_whose_id_looks_like_a_card_number_withdraws_without_it() -> None:
    change = opt_out(InboundText("966563120415", "4111111111111111", "STOP"), policy_version=1)

    assert change is not None
    assert change.evidence == ConsentEvidence()


def test_k3_an_opt_out_stands_for_every_customer_sharing_the_phone() -> None:
    proof = ConsentEvidence(message_reference="ord-1")
    ledgers = [ConsentLedger(customer) for customer in ("cust-1", "cust-2", "cust-3")]
    for ledger in ledgers[:2]:
        ledger.grant(ConsentChange(ConsentPurpose.MARKETING, Channel.WEB, 1, "customer", proof))
    change = opt_out(InboundText("966563120415", "wamid.9", "STOP"), policy_version=1)
    assert change is not None

    withdrawn = withdraw_everyone_sharing(ledgers, change)

    assert [ledger.id for ledger in withdrawn] == ["cust-1", "cust-2"]  # cust-3 had none
    assert not any(ledger.granted(ConsentPurpose.MARKETING) for ledger in ledgers)
