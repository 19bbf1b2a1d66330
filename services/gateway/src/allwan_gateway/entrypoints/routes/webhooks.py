"""Signed webhooks: Salla's store events (T1) and WhatsApp messages (K3).

The signature is checked on the raw body before anything else: a bad or missing one is 401
and nothing is processed. A verified delivery is scanned for card data (C3) and recorded as
``WebhookReceived`` with its body sealed under its own key; the same body again is answered
200 as already received and changes nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from allwan_contracts.cards import CardDataRefused, refuse_card_data
from allwan_contracts.intake import WebhookSource
from fastapi import APIRouter, Query, Request, Security
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import APIKeyHeader

from allwan_gateway.domain.signatures import (
    salla_verified,
    whatsapp_challenge,
    whatsapp_verified,
)
from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.security import GatewayDep
from allwan_gateway.handlers import intake

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_ACK: dict[int | str, dict[str, Any]] = {
    200: {"model": responses.WebhookAck, "description": "Already received: nothing changed."},
    202: {"model": responses.WebhookAck, "description": "Verified and recorded."},
}
# The signatures are checked by hand, on the raw body (``domain.signatures``); these schemes
# only document them, so that the document names every header a delivery needs.
_SALLA_SIGNATURE = APIKeyHeader(
    name="X-Salla-Signature",
    auto_error=False,
    scheme_name="SallaSignature",
    description="Salla's Signature strategy (the default): the hex HMAC-SHA256 of the raw "
    "body under the webhook secret.",
)
_SALLA_TOKEN = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="SallaToken",
    description="Salla's Token strategy (X-Salla-Security-Strategy set to Token): the "
    "webhook secret itself, bare or as 'Bearer <secret>'.",
)
_WHATSAPP_SIGNATURE = APIKeyHeader(
    name="X-Hub-Signature-256",
    auto_error=False,
    scheme_name="WhatsAppSignature",
    description="'sha256=' and the hex HMAC-SHA256 of the raw body under the app secret.",
)
_ANY_JSON = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"description": "The sender's event, any UTF-8 JSON (400 otherwise)."}
        }
    },
}
# Salla sends "Signature" or "Token"; the gateway reads the header case-insensitively.
_STRATEGY = {
    "name": "X-Salla-Security-Strategy",
    "in": "header",
    "required": False,
    "description": "Which of Salla's strategies signs the delivery; Signature when absent.",
    "schema": {
        "type": "string",
        "pattern": r"^[ \t]*([Ss][Ii][Gg][Nn][Aa][Tt][Uu][Rr][Ee]|[Tt][Oo][Kk][Ee][Nn])[ \t]*$",
    },
}


async def _record(gw: GatewayDep, source: WebhookSource, raw: bytes) -> JSONResponse:
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise problems.malformed_json("A webhook body must be UTF-8 JSON.") from None
    try:
        refuse_card_data(parsed)
    except CardDataRefused as refused:
        raise problems.card_data_refused(refused) from None
    delivery, recorded = await intake.record_webhook(
        source, raw, correlation_id=uuid.uuid4(), deps=gw.intake
    )
    ack = responses.WebhookAck(
        status="received" if recorded else "already_received", delivery_id=delivery
    )
    return JSONResponse(ack.model_dump(mode="json"), status_code=202 if recorded else 200)


@router.post(
    "/salla",
    status_code=202,
    responses=_ACK,
    response_model=responses.WebhookAck,
    dependencies=[Security(_SALLA_SIGNATURE), Security(_SALLA_TOKEN)],
    openapi_extra={"requestBody": _ANY_JSON, "parameters": [_STRATEGY]},
)
async def salla(gw: GatewayDep, request: Request) -> JSONResponse:
    """A Salla store event, signed (``X-Salla-Signature``) or with the token strategy."""
    raw = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not salla_verified(raw, headers, gw.settings.salla_webhook_secret.get_secret_value()):
        raise problems.unauthorized("The Salla signature or token is missing or wrong.")
    return await _record(gw, WebhookSource.SALLA, raw)


@router.get("/whatsapp", response_class=PlainTextResponse)
async def whatsapp_subscribe(
    gw: GatewayDep,
    mode: Annotated[Literal["subscribe"], Query(alias="hub.mode")],
    token: Annotated[str, Query(alias="hub.verify_token", max_length=500)],
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=500)],
) -> PlainTextResponse:
    """The Cloud API's subscription handshake: echo ``hub.challenge`` for our verify token
    (403 for any other token)."""
    echoed = whatsapp_challenge(
        mode, token, challenge, gw.settings.whatsapp_verify_token.get_secret_value()
    )
    if echoed is None:
        raise problems.forbidden("The verify token does not match.")
    return PlainTextResponse(echoed)


@router.post(
    "/whatsapp",
    status_code=202,
    responses=_ACK,
    response_model=responses.WebhookAck,
    dependencies=[Security(_WHATSAPP_SIGNATURE)],
    openapi_extra={"requestBody": _ANY_JSON},
)
async def whatsapp(gw: GatewayDep, request: Request) -> JSONResponse:
    """Messages customers sent to the store's WhatsApp number (K3: "stop" withdraws
    marketing), signed with ``X-Hub-Signature-256``."""
    raw = await request.body()
    signature = request.headers.get("x-hub-signature-256")
    if not whatsapp_verified(raw, signature, gw.settings.whatsapp_app_secret.get_secret_value()):
        raise problems.unauthorized("The X-Hub-Signature-256 signature is missing or wrong.")
    return await _record(gw, WebhookSource.WHATSAPP, raw)
