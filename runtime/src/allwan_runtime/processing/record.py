"""The record of processing activities (PDPL), merged from the services' declarations.

One ``ProcessingActivity`` per purpose of ``allwan_runtime.keystore.Purpose`` (C4): the union
of what every service declared for it, with its titles and legal basis from ``vocabulary``,
next to the privacy service's recipient registry (D1-D3) and retention schedule as shipped.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import Final, TypeVar

from allwan_contracts.accountability import (
    ProcessingActivity,
    Recipient,
    RecordOfProcessing,
    RetentionRule,
)
from allwan_contracts.disclosures import DataCategory
from pydantic import BaseModel, ValidationError

from allwan_runtime.keystore.purposes import Purpose
from allwan_runtime.processing.declarations import (
    Activity,
    Declaration,
    DeclarationError,
    check_declarations,
)
from allwan_runtime.processing.vocabulary import (
    PURPOSES,
    SOURCES,
    vocabulary_problems,
)

CONTROLLER: Final = "ALLWANSTORES"
SCHEDULE_PACKAGE: Final = "allwan_privacy"
RECIPIENTS_FILE: Final = "schedule/recipients.toml"
RETENTION_FILE: Final = "schedule/retention.toml"

_Shown = TypeVar("_Shown", bound=BaseModel)


def _read_tables(path: str, table: str, model: type[_Shown]) -> list[_Shown]:
    where = f"{SCHEDULE_PACKAGE}/{path}"
    try:
        text = resources.files(SCHEDULE_PACKAGE).joinpath(path).read_text("utf-8")
        raw = tomllib.loads(text).get(table, [])
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DeclarationError([f"{where}: cannot be read: {error}"]) from None
    items: list[_Shown] = []
    problems: list[str] = []
    for number, entry in enumerate(raw, start=1):
        try:
            items.append(model.model_validate(entry))
        except ValidationError as error:
            problems.extend(
                f"{where}: [[{table}]] #{number}: {'.'.join(map(str, p['loc']))}: {p['msg']}"
                for p in error.errors(include_input=False)
            )
    if problems:
        raise DeclarationError(problems)
    return items


def read_recipients() -> list[Recipient]:
    """The recipient registry the privacy service ships (``schedule/recipients.toml``)."""
    return _read_tables(RECIPIENTS_FILE, "recipient", Recipient)


def read_schedule() -> list[RetentionRule]:
    """The retention schedule the privacy service ships (``schedule/retention.toml``)."""
    return _read_tables(RETENTION_FILE, "rule", RetentionRule)


def build_record(
    declarations: Sequence[Declaration],
    recipients: Sequence[Recipient],
    rules: Sequence[RetentionRule],
    controller: str = CONTROLLER,
) -> RecordOfProcessing:
    """The record, or ``DeclarationError`` listing every problem: a name that does not exist,
    a purpose no service declares, a purpose or category without its titles, a purpose whose
    data no rule of the schedule bounds, a recipient or rule id given twice."""
    problems = [
        *_duplicates("recipients.toml: recipient id", [r.id for r in recipients]),
        *_duplicates("retention.toml: rule name", [r.name for r in rules]),
        *check_declarations(declarations, {r.id for r in recipients}, {r.name for r in rules}),
        *vocabulary_problems(),
    ]
    activities = []
    for purpose in Purpose:
        held = [
            (declaration.service, activity)
            for declaration in declarations
            for activity in declaration.activities
            if activity.purpose == purpose.value
        ]
        if not held:
            problems.append(f"purpose {purpose.value!r}: no service declares it")
        elif not any(activity.retention for _, activity in held):
            problems.append(f"purpose {purpose.value!r}: no retention rule bounds its data")
        elif purpose in PURPOSES:
            activities.append(_merge(purpose, held))
    if problems:
        raise DeclarationError(problems)
    return RecordOfProcessing(
        controller=controller,
        activities=activities,
        recipients=list(recipients),
        retention=list(rules),
    )


def _duplicates(what: str, names: Sequence[str]) -> list[str]:
    return sorted({f"{what} {name!r} is given twice" for name in names if names.count(name) > 1})


def _merge(purpose: Purpose, held: Sequence[tuple[str, Activity]]) -> ProcessingActivity:
    info = PURPOSES[purpose]
    categories = {category for _, activity in held for category in activity.categories}
    services = list(dict.fromkeys(service for service, _ in held))
    # What the services holding the purpose pass to each other is one activity, not a source.
    sources = {source for _, activity in held for source in activity.sources} - {
        f"service:{service}" for service in services
    }
    return ProcessingActivity(
        purpose=purpose.value,
        title_ar=info.title.ar,
        title_en=info.title.en,
        legal_basis=info.legal_basis,
        categories=[category for category in DataCategory if category.value in categories],
        sources=[source for source in SOURCES if source in sources],
        services=services,
        recipients=sorted({name for _, activity in held for name in activity.recipients}),
        retention=sorted({rule for _, activity in held for rule in activity.retention}),
    )
