"""The staff console's rules, without I/O: what each form must hold (the gateway's own
limits, checked here first so that a form comes back with its errors beside its fields), the
order of the privacy-request queue, a policy notice's fan-out progress (PC2), and when a
locked sign-in may try again (S1).

A form's times are the store's (Riyadh, ``<input type="datetime-local">``), sent to the
gateway as RFC 3339 with their offset. An error is a message key of ``messages/staff.toml``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from allwan_web.domain.locale import STORE_TZ

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
"""A staff id, a customer id, a request's or a breach's id: the gateway's subject pattern."""
REFERENCE = re.compile(r"^[\x21-\x7E]{1,200}$")
ACTION = re.compile(r"^[a-z][a-z0-9_]{0,49}(\.[a-z0-9_]{1,50}){0,5}\.?$")
CURSOR = re.compile(
    r"^(t[0-9]{20}-[0-9a-f]{16}"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7E]{8,200}$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")

PURPOSES = ("marketing", "analytics_cookies", "functional_cookies", "order_processing")
WITHDRAWAL_CHANNELS = ("email", "phone")
DENIAL_REASONS = (
    "identity_not_verified",
    "manifestly_unfounded",
    "excessive_or_repeated",
    "legal_obligation_to_retain",
    "rights_of_others",
)
DATA_CATEGORIES = (
    "name",
    "email",
    "phone",
    "billing_address",
    "order_details",
    "payment",
    "message_content",
    "consent_records",
    "browsing_evidence",
    "privacy_requests",
)
MAX_AFFECTED_IDS = 10_000
CLOCK_SKEW = timedelta(minutes=5)
NOTICE_HORIZON = timedelta(days=366)
"""A policy version takes effect at most 5 minutes before it is published, and is announced
at most 366 days ahead (PC1, PC2): the gateway's window."""
DUE_SOON_DAYS = 7
LOCK_MINUTES = 15
"""The gateway's sign-in lock when it gives no Retry-After."""


class FormInvalid(ValueError):
    """A form that cannot be sent: field name -> message key."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = dict(errors)


class _Check:
    """Collects every field's error, so that a form comes back with all of them at once."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return self.fields.get(name, "").replace("\r\n", "\n")

    def fail(self, name: str, key: str) -> None:
        self.errors.setdefault(name, key)

    def text(self, name: str, max_len: int, *, required: bool = True) -> str | None:
        """A free text: surrounding blanks dropped, at most ``max_len`` characters."""
        value = self.raw(name).strip()
        if not value:
            if required:
                self.fail(name, "staff.error.required")
            return None
        if len(value) > max_len:
            self.fail(name, f"staff.error.too_long.{max_len}")
            return None
        return value

    def matching(self, name: str, pattern: re.Pattern[str], key: str) -> str | None:
        value = self.raw(name).strip()
        if not value:
            self.fail(name, "staff.error.required")
            return None
        if not pattern.fullmatch(value):
            self.fail(name, key)
            return None
        return value

    def choice(self, name: str, options: Sequence[str]) -> str | None:
        value = self.raw(name).strip()
        if value not in options:
            self.fail(name, "staff.error.required" if not value else "staff.error.choice")
            return None
        return value

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        value = self.raw(name).strip()
        if not value:
            if required:
                self.fail(name, "staff.error.required")
            return None
        try:
            return parse_local(value)
        except ValueError:
            self.fail(name, "staff.error.datetime")
            return None

    def done(self) -> None:
        if self.errors:
            raise FormInvalid(self.errors)


def parse_local(text: str) -> datetime:
    """``2026-11-28T07:45`` (a ``datetime-local`` input) as the store's time."""
    if not _LOCAL.fullmatch(text):
        raise ValueError("not a local date and time")
    return datetime.fromisoformat(text).replace(tzinfo=STORE_TZ)


def local_input(moment: datetime) -> str:
    """``moment`` as a ``datetime-local`` input's value, in the store's time."""
    return moment.astimezone(STORE_TZ).strftime("%Y-%m-%dT%H:%M")


# -- signing in (S1) ------------------------------------------------------------------------


def check_sign_in(fields: Mapping[str, str]) -> tuple[str, str]:
    """The staff id and the password, as typed (a password is never trimmed)."""
    check = _Check(fields)
    staff_id = check.matching("staff_id", ID, "staff.error.staff_id")
    password = fields.get("password", "")
    if not password:
        check.fail("password", "staff.error.required")
    elif len(password) > 200:
        check.fail("password", "staff.error.too_long.200")
    check.done()
    assert staff_id is not None
    return staff_id, password


def retry_minutes(retry_after_s: int | None) -> int:
    """Whole minutes until a locked sign-in may try again (at least one)."""
    if retry_after_s is None:
        return LOCK_MINUTES
    return max(1, math.ceil(retry_after_s / 60))


# -- privacy requests (PDPL: 30 days, extendable once by up to 30) -------------------------


def queue_order(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Overdue requests first (the longest overdue first), then by days left, then the
    oldest received; finished ones (no days left) last."""

    def key(item: Mapping[str, Any]) -> tuple[int, float, str, str]:
        left = item.get("days_left")
        return (
            0 if item.get("overdue") else 1,
            float(left) if left is not None else math.inf,
            str(item.get("received_at", "")),
            str(item.get("request_id", "")),
        )

    return sorted(items, key=key)


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    due_soon: int
    """Not overdue, and due within the next ``DUE_SOON_DAYS`` days (today included)."""


def due_soon(item: Mapping[str, Any]) -> bool:
    """Not overdue, and due within the next ``DUE_SOON_DAYS`` days (today included)."""
    left = item.get("days_left")
    return not item.get("overdue") and left is not None and 0 <= int(left) < DUE_SOON_DAYS


def due_counts(items: Iterable[Mapping[str, Any]]) -> DueCounts:
    found = list(items)
    return DueCounts(
        overdue=sum(1 for item in found if item.get("overdue")),
        due_soon=sum(1 for item in found if due_soon(item)),
    )


def check_extension(fields: Mapping[str, str]) -> dict[str, Any]:
    """1 to 30 whole days, and the reason the customer is told."""
    check = _Check(fields)
    raw = check.raw("days").strip()
    days: int | None = None
    if not raw:
        check.fail("days", "staff.error.required")
    elif not raw.isdecimal() or not 1 <= int(raw) <= 30:
        check.fail("days", "staff.error.days")
    else:
        days = int(raw)
    reason = check.text("reason", 2000)
    check.done()
    return {"days": days, "reason": reason}


def check_denial(fields: Mapping[str, str]) -> dict[str, Any]:
    """A legal reason, and what the customer is told beyond it (optional)."""
    check = _Check(fields)
    reason = check.choice("reason", DENIAL_REASONS)
    explanation = check.text("explanation", 2000, required=False)
    check.done()
    return {"reason": reason, "explanation": explanation}


# -- policies (PC1, PC2) --------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDraft:
    text_ar: str
    text_en: str
    summary_ar: str
    summary_en: str
    material: bool
    effective_at: datetime | None = None

    def body(self) -> dict[str, Any]:
        """``POST /v1/staff/policies``'s body."""
        body: dict[str, Any] = {
            "text_ar": self.text_ar,
            "text_en": self.text_en,
            "summary_ar": self.summary_ar,
            "summary_en": self.summary_en,
            "material": self.material,
        }
        if self.effective_at is not None:
            body["effective_at"] = self.effective_at.isoformat()
        return body

    def fields(self) -> dict[str, str]:
        """The draft as its form's fields (to edit it again)."""
        found = {k: v for k, v in asdict(self).items() if isinstance(v, str)}
        found["material"] = "on" if self.material else ""
        found["effective_at"] = local_input(self.effective_at) if self.effective_at else ""
        return found

    def encode(self) -> str:
        return json.dumps(self.body(), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> PolicyDraft:
        raw = json.loads(text)
        effective = raw.pop("effective_at", None)
        return cls(**raw, effective_at=datetime.fromisoformat(effective) if effective else None)


def check_effective_at(effective_at: datetime | None, now: datetime) -> str | None:
    """The message key refusing ``effective_at``, or None if the gateway will take it."""
    if effective_at is None:
        return None
    if effective_at < now - CLOCK_SKEW:
        return "staff.error.effective_past"
    if effective_at > now + NOTICE_HORIZON:
        return "staff.error.effective_far"
    return None


def check_policy(fields: Mapping[str, str], now: datetime) -> PolicyDraft:
    """Both texts and both summaries, material or not, and when it takes effect (now if
    no date is given)."""
    check = _Check(fields)
    texts = {name: check.text(name, 100_000) for name in ("text_ar", "text_en")}
    summaries = {name: check.text(name, 2000) for name in ("summary_ar", "summary_en")}
    effective_at = check.moment("effective_at", required=False)
    refused = check_effective_at(effective_at, now)
    if refused is not None:
        check.fail("effective_at", refused)
    check.done()
    return PolicyDraft(
        text_ar=texts["text_ar"] or "",
        text_en=texts["text_en"] or "",
        summary_ar=summaries["summary_ar"] or "",
        summary_en=summaries["summary_en"] or "",
        material=fields.get("material") == "on",
        effective_at=effective_at,
    )


def published_version(
    versions: Iterable[Mapping[str, Any]], after: int, draft: PolicyDraft
) -> int | None:
    """The version the consent service gave ``draft``: the first one numbered after
    ``after`` (the newest when it was sent) that carries its summaries."""
    for version in sorted(versions, key=lambda v: int(v["version"])):
        if (
            int(version["version"]) > after
            and version.get("summary_ar") == draft.summary_ar
            and version.get("summary_en") == draft.summary_en
            and bool(version.get("material")) is draft.material
        ):
            return int(version["version"])
    return None


@dataclass(frozen=True)
class Fanout:
    """How far the emails of a material version have gone (PC2)."""

    total: int
    sent: int
    failed: int
    skipped: int
    pending: int
    done: bool

    @property
    def settled(self) -> int:
        return self.sent + self.failed + self.skipped


def fanout(counts: Mapping[str, Any]) -> Fanout:
    """The notifier's counts of one version (``/ledger/policies/{version}/counts``)."""

    def count(name: str) -> int:
        value = counts.get(name)
        return int(value) if isinstance(value, int) else 0

    pending = count("pending")
    return Fanout(
        total=count("total"),
        sent=count("sent"),
        failed=count("failed"),
        skipped=count("skipped"),
        pending=pending,
        done=counts.get("phase") == "done" and pending == 0,
    )


# -- customers (K3) -------------------------------------------------------------------------


def check_customer_id(fields: Mapping[str, str]) -> str:
    check = _Check(fields)
    customer_id = check.matching("customer_id", ID, "staff.error.customer_id")
    check.done()
    assert customer_id is not None
    return customer_id


def check_withdrawal(fields: Mapping[str, str]) -> dict[str, Any]:
    """K3: which purpose, by which channel it came, and the message's reference."""
    check = _Check(fields)
    purpose = check.choice("purpose", PURPOSES)
    channel = check.choice("channel", WITHDRAWAL_CHANNELS)
    reference = check.matching("message_reference", REFERENCE, "staff.error.reference")
    check.done()
    return {"purpose": purpose, "channel": channel, "message_reference": reference}


# -- breaches (S2, PDPL: the regulator within 72 hours) --------------------------------------


def _customer_ids(text: str) -> list[str]:
    """Ids one per line (or separated by commas), each once, in their order. A line with a
    blank inside is one wrong id, not two ids: a typo must not name another customer."""
    parts = (part.strip() for part in re.split(r"[\n,،]", text))
    return list(dict.fromkeys(part for part in parts if part))


def check_breach(
    fields: Mapping[str, str], categories: Sequence[str], now: datetime
) -> dict[str, Any]:
    """``POST /v1/staff/breaches``'s body: when it was detected (not later than now), what
    happened, which categories of data, who is affected (listed by id, or everyone who
    ordered in a window), the likely consequences and the measures taken."""
    check = _Check(fields)
    detected_at = check.moment("detected_at")
    if detected_at is not None and detected_at > now:
        check.fail("detected_at", "staff.error.future")
    description = check.text("description", 4000)
    chosen = list(dict.fromkeys(categories))
    if not chosen:
        check.fail("categories", "staff.error.categories")
    elif any(category not in DATA_CATEGORIES for category in chosen):
        check.fail("categories", "staff.error.choice")
    affected: dict[str, Any] | None = None
    mode = check.choice("affected", ("listed", "window"))
    if mode == "listed":
        ids = _customer_ids(check.raw("customer_ids"))
        if not ids:
            check.fail("customer_ids", "staff.error.required")
        elif len(ids) > MAX_AFFECTED_IDS or not all(ID.fullmatch(i) for i in ids):
            check.fail("customer_ids", "staff.error.customer_ids")
        else:
            affected = {"customer_ids": ids}
    elif mode == "window":
        start = check.moment("ordered_from")
        end = check.moment("ordered_until")
        if start is not None and end is not None:
            if end <= start:
                check.fail("ordered_until", "staff.error.window")
            else:
                affected = {"ordered_from": start.isoformat(), "ordered_until": end.isoformat()}
    consequences = check.text("likely_consequences", 4000)
    measures = check.text("measures_taken", 4000)
    check.done()
    assert detected_at is not None
    return {
        "detected_at": detected_at.isoformat(),
        "description": description,
        "categories": chosen,
        "affected": affected,
        "likely_consequences": consequences,
        "measures_taken": measures,
    }


def check_regulator_notification(fields: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The regulator's acknowledgement or case number, and when it was told (not later
    than now)."""
    check = _Check(fields)
    reference = check.text("reference", 2000)
    notified_at = check.moment("notified_at")
    if notified_at is not None and notified_at > now:
        check.fail("notified_at", "staff.error.future")
    check.done()
    assert notified_at is not None
    return {"reference": reference, "notified_at": notified_at.isoformat()}


def check_customer_notice(fields: Mapping[str, str]) -> dict[str, Any]:
    """What every affected customer is told, in Arabic and in English."""
    check = _Check(fields)
    message_ar = check.text("message_ar", 4000)
    message_en = check.text("message_en", 4000)
    check.done()
    return {"notice": {"message_ar": message_ar, "message_en": message_en}}


def check_closure(fields: Mapping[str, str]) -> dict[str, Any]:
    check = _Check(fields)
    summary = check.text("summary", 2000)
    check.done()
    return {"summary": summary}


def check_idempotency_key(fields: Mapping[str, str]) -> str:
    """The key the form was rendered with: a form sent twice opens one breach."""
    check = _Check(fields)
    key = check.matching("key", IDEMPOTENCY_KEY, "staff.error.form_expired")
    check.done()
    assert key is not None
    return key


def hours_left(hours: float | None) -> int | None:
    """Whole hours to a deadline, rounded towards it (``-0.2`` is overdue: ``-1``)."""
    return None if hours is None else math.floor(hours)


# -- the audit trail (S1) ------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    staff_id: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, str]:
        """``GET /v1/staff/audit``'s query."""
        found: dict[str, str] = {}
        if self.staff_id:
            found["actor"] = f"staff:{self.staff_id}"
        if self.action:
            found["action"] = self.action
        if self.since is not None:
            found["since"] = self.since.isoformat()
        if self.until is not None:
            found["until"] = self.until.isoformat()
        return found

    def fields(self) -> dict[str, str]:
        return {
            "staff_id": self.staff_id,
            "action": self.action,
            "since": local_input(self.since) if self.since else "",
            "until": local_input(self.until) if self.until else "",
        }

    def encode(self) -> str:
        return json.dumps(self.fields())

    @classmethod
    def decode(cls, text: str | None) -> AuditFilters:
        if not text:
            return cls()
        try:
            return check_audit_filters(json.loads(text))
        except (FormInvalid, ValueError, TypeError):
            return cls()


def check_audit_filters(fields: Mapping[str, str]) -> AuditFilters:
    """Whose actions (a staff id), which (an action, or the start of one ending in a dot:
    ``privacy.``), and between when; every filter optional."""
    check = _Check(fields)
    staff_id = check.raw("staff_id").strip()
    if staff_id.startswith("staff:"):
        staff_id = staff_id.removeprefix("staff:")
    if staff_id and not ID.fullmatch(staff_id):
        check.fail("staff_id", "staff.error.staff_id")
    action = check.raw("action").strip()
    if action and (len(action) > 100 or not ACTION.fullmatch(action)):
        check.fail("action", "staff.error.action")
    since = check.moment("since", required=False)
    until = check.moment("until", required=False)
    if since is not None and until is not None and until < since:
        check.fail("until", "staff.error.range")
    check.done()
    return AuditFilters(staff_id, action, since, until)


def valid_cursor(cursor: str | None) -> str | None:
    """A page cursor the audit trail gave, or None for anything else."""
    return cursor if cursor is not None and CURSOR.fullmatch(cursor) else None


# -- the gateway's refusals, beside the fields --------------------------------------------


def field_errors(
    errors: Iterable[Mapping[str, Any]], fields: Mapping[str, str], fallback: str
) -> dict[str, str]:
    """A 422's ``errors`` (``{"location": "$.text_ar", "kind": "card_data"}``) as the
    form's: ``fields`` maps a body path to its field (the longest path that starts the
    location wins); anything else goes to ``fallback``. A card number is named as such
    (C3), any other refusal as one."""
    found: dict[str, str] = {}
    for error in errors:
        # Schema errors say ``body.text_ar``; card data (C3) is found by JSON path, ``$.text_ar``.
        location = str(error.get("location", "")).removeprefix("body.").removeprefix("$.")
        key = (
            "staff.error.card_data"
            if error.get("kind") == "card_data"
            else "staff.error.refused_field"
        )
        matches = [path for path in fields if location == path or location.startswith(path + ".")]
        name = fields[max(matches, key=len)] if matches else fallback
        found.setdefault(name, key)
    return found or {fallback: "staff.error.refused_field"}
