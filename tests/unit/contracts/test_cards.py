"""C3, T3, by shape: a card number of any brand is found in every layout people write it in;
UUIDs, date-times, phone numbers and Salla ids never pass for one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from allwan_contracts.cards import (
    CardDataKind,
    CardFinding,
    contains_card_number,
    find_card_data,
    passes_luhn,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.orders.salla_samples import CUSTOMER_UPDATED, ORDER_CREATED, order_event

# Issuer prefixes and lengths per brand: Braintree's credit-card-type table, and the mada BINs
# Moyasar's SDK recognises (mada cards also carry Visa and Mastercard prefixes).
MADA_BINS = ["588845", "968208", "636120", "604906", "504300", "440647", "446404", "529415"]
ALL_LENGTHS = tuple(range(13, 20))
BRANDS: dict[str, tuple[st.SearchStrategy[str], tuple[int, ...]]] = {
    "visa": (st.just("4"), (13, 16, 19)),
    "mastercard": (st.integers(51, 55).map(str) | st.integers(2221, 2720).map(str), (16,)),
    "amex": (st.sampled_from(["34", "37"]), (15,)),
    "discover": (st.sampled_from(["6011", "65"]) | st.integers(644, 649).map(str), (16, 19)),
    "jcb": (st.integers(3528, 3589).map(str), (16, 17, 18, 19)),
    "diners": (st.integers(300, 305).map(str) | st.sampled_from(["36", "38", "39"]), (14, 16, 19)),
    "unionpay": (st.just("62") | st.integers(8110, 8171).map(str), (16, 17, 18, 19)),
    "maestro": (st.sampled_from(["5018", "5020", "5038", "5893", "6304", "6759"]), ALL_LENGTHS),
    "mada": (st.sampled_from(MADA_BINS), (16,)),
}
SPACES_AND_DASHES = (" ", "-", "\u00a0", "\u2013", "\u2011")
DIGIT_SCRIPTS = {
    "ascii": "0123456789",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "extended-arabic-indic": "۰۱۲۳۴۵۶۷۸۹",
    "full-width": "".join(chr(0xFF10 + digit) for digit in range(10)),
}
SENTENCES = (
    "{}",
    "my card is {}, thanks",
    "card:{};exp 12/29",
    "call 0555 {} now",
    "{} 123",
    "رقم بطاقتي {} شكرا",
    "بطاقتي: {}.",
    "ref {}x",
)


def with_check_digit(body: str) -> str:
    return next(body + digit for digit in "0123456789" if passes_luhn(body + digit))


@st.composite
def card_numbers(draw: st.DrawFn, brand: str | None = None) -> str:
    prefixes, lengths = BRANDS[brand or draw(st.sampled_from(sorted(BRANDS)))]
    prefix, length = draw(prefixes), draw(st.sampled_from(lengths))
    size = length - len(prefix) - 1
    return with_check_digit(prefix + draw(st.text("0123456789", min_size=size, max_size=size)))


def layouts_for(length: int) -> list[tuple[int, ...]]:
    """The ways a card number of ``length`` digits is written: in fours with a short last
    group, with the 4/8/12 gaps, and 4-6-rest for American Express and Diners Club."""
    fours = (4,) * (length // 4) + ((length % 4,) if length % 4 else ())
    found = [(length,), fours, (4, 4, 4, length - 12)]
    if length in (14, 15, 16, 19):
        found.append((4, 6, length - 10))
    return found


def grouped(digits: str, lengths: tuple[int, ...], separators: list[str]) -> str:
    groups, at = [], 0
    for length in lengths:
        groups.append(digits[at : at + length])
        at += length
    joins = zip(separators[: len(groups) - 1], groups[1:], strict=True)
    return groups[0] + "".join(sep + group for sep, group in joins)


@st.composite
def written_card_numbers(draw: st.DrawFn, brand: str | None = None) -> str:
    """A card number as a person writes it: a layout, separators, digits, a sentence."""
    pan = draw(card_numbers(brand))
    lengths = draw(st.sampled_from(layouts_for(len(pan))))
    separators = draw(st.lists(st.sampled_from(SPACES_AND_DASHES), min_size=len(lengths)))
    digits = DIGIT_SCRIPTS[draw(st.sampled_from(sorted(DIGIT_SCRIPTS)))]
    text = grouped(pan, lengths, separators).translate(str.maketrans("0123456789", digits))
    return draw(st.sampled_from(SENTENCES)).format(text)


@pytest.mark.parametrize("brand", sorted(BRANDS))
@given(data=st.data())
def test_c3_a_card_number_of_every_brand_is_found_in_every_layout(
    brand: str, data: st.DataObject
) -> None:
    text = data.draw(written_card_numbers(brand))
    assert contains_card_number(text), "a card number went unnoticed"


@given(text=written_card_numbers(), path=st.lists(st.sampled_from(["notes", 0, "deep"])))
def test_c3_a_card_number_is_found_at_any_depth_and_only_its_location_is_named(
    text: str, path: list[str | int]
) -> None:
    body: Any = text
    location = ""
    for step in reversed(path):
        body = [body] if isinstance(step, int) else {step: body}
    for step in path:
        location += f"[{step}]" if isinstance(step, int) else f".{step}"
    findings = find_card_data({"order": body})
    assert findings == (CardFinding(f"$.order{location}", CardDataKind.CARD_NUMBER),)
    assert text not in repr(findings)


@given(pan=card_numbers())
def test_c3_a_card_number_sent_as_a_json_number_is_found(pan: str) -> None:
    numbers: list[object] = [int(pan), -int(pan)]
    if int(pan) <= 2**53:  # every integer up to 2**53 is exact as a float
        numbers.append(float(pan))
    findings = find_card_data({"n": numbers})
    assert [finding.location for finding in findings] == [f"$.n[{i}]" for i in range(len(numbers))]


def test_a_card_number_nested_in_a_longer_chain_of_groups_is_found() -> None:
    assert contains_card_number("call 0555 4111 1111 1111 1111")
    assert contains_card_number("4111 1111 1111 1111 123")
    assert contains_card_number("3.14 4111 1111 1111 1111")
    assert contains_card_number("4111111111111111.00")


def test_phone_like_prefixes_and_decimals_hide_no_card_number_beyond_their_own_digits() -> None:
    assert contains_card_number("+4111111111111111")  # 16 digits: more than any E.164 number
    assert contains_card_number("+966 4111 1111 1111 1111")
    assert not contains_card_number("+411111111111111")  # 15 digits: may be a phone number
    assert not contains_card_number("0.4111111111111111")
    assert not contains_card_number("4111111111111111.5")


def digit_heavy_hex(size: int) -> st.SearchStrategy[str]:
    """Hex strings where digits are 5 times as likely as letters: ids whose digit runs are
    long, the ones a digit-run rule refuses."""
    return st.text(st.sampled_from("0123456789" * 5 + "abcdef"), min_size=size, max_size=size)


UUIDS = st.one_of(
    st.uuids(version=1),
    st.uuids(version=3),
    st.uuids(version=4),
    st.uuids(version=5),
    digit_heavy_hex(32).map(lambda text: uuid.UUID(hex=text)),
)


# Where the system writes an id: alone, in a sentence, in a list, next to other numbers.
ID_CONTEXTS = ("{}", "order {} placed", "طلب رقم {} تم", "ids: [{}, 1001]", "call 0555 {} 123")


@given(value=UUIDS, sentence=st.sampled_from(ID_CONTEXTS))
@example(value=uuid.UUID("6bddc66c-1083-5840-8962-2eaff7ee4183"), sentence="{}")
@example(value=uuid.UUID("a13abcf4-b2d2-592f-9ac0-8b85c07373c9"), sentence="{}")
def test_a_uuid_is_never_a_card_number_in_any_form(value: uuid.UUID, sentence: str) -> None:
    for text in (str(value), value.hex, str(value).upper(), value.urn, f"{value} {value}"):
        assert not contains_card_number(sentence.format(text)), text
    assert find_card_data({"order_id": str(value), "ids": [value.hex], str(value): 1}) == ()


OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
TIMESPECS = ("auto", "hours", "minutes", "seconds", "milliseconds", "microseconds")


@given(
    moment=st.datetimes(timezones=st.none() | OFFSETS | st.just(UTC)),
    sep=st.sampled_from(["T", " "]),
    timespec=st.sampled_from(TIMESPECS),
)
def test_an_iso_8601_date_time_is_never_a_card_number(
    moment: datetime, sep: str, timespec: str
) -> None:
    text = moment.isoformat(sep=sep, timespec=timespec)
    for form in (text, text.replace("+00:00", "Z"), moment.strftime("%Y%m%dT%H%M%S%z")):
        assert not contains_card_number(form), form
        assert not contains_card_number(f"paid at {form}, ref 1001")


@st.composite
def e164_numbers(draw: st.DrawFn) -> str:
    digits = draw(st.text("0123456789", min_size=7, max_size=14))
    number = draw(st.integers(1, 9).map(str)) + digits  # E.164: 8 to 15 digits, no leading 0
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=4)))
    parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    separators = draw(st.lists(st.sampled_from([" ", "-"]), min_size=len(parts)))
    joins = zip(separators[: len(parts) - 1], parts[1:], strict=True)
    return "+" + parts[0] + "".join(sep + part for sep, part in joins)


@given(phone=e164_numbers(), subscriber=st.integers(500_000_000, 599_999_999))
@example(phone="+966 50 123 4567", subscriber=501806978)
def test_a_phone_number_is_never_a_card_number(phone: str, subscriber: int) -> None:
    for text in (phone, phone.replace(" ", ""), f"call {phone}."):
        assert not contains_card_number(text), text
    for saudi in (f"+966{subscriber}", f"966{subscriber}", f"0{subscriber}", f"00966{subscriber}"):
        assert not contains_card_number(saudi), saudi
    assert find_card_data({"mobile": subscriber, "mobile_code": "+966"}) == ()


SALLA_IDS = st.integers(1, 9_999_999_999)  # Salla's documented ids have 9 or 10 digits


@given(salla_id=SALLA_IDS)
def test_a_salla_id_is_never_a_card_number(salla_id: int) -> None:
    body = order_event("order.created", id=salla_id, reference_id=salla_id)
    body["merchant"] = salla_id
    body["data"]["customer"]["id"] = salla_id
    assert find_card_data(body) == ()
    assert find_card_data([str(salla_id), f"salla-{salla_id}-pay"]) == ()


def test_salla_s_sample_deliveries_hold_no_card_data() -> None:
    assert find_card_data(ORDER_CREATED) == ()
    assert find_card_data(CUSTOMER_UPDATED) == ()
