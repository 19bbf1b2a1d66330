"""Each service's declaration of what personal data it processes (``processing.toml``).

A service ships ``allwan_<service>/processing.toml`` with one ``[[activity]]`` table per
purpose it processes data for (C4): the data categories, where they come from, to whom they
are disclosed (ids of the privacy service's ``recipients.toml``), and the rules of its
``retention.toml`` that bound how long they are kept. Each ``[[outbound]]`` table names a
module that opens a network connection: either to a recipient outside allwan (``recipient``,
and ``records = "DataDisclosed"``: every send is in the disclosure ledger, D3, P2) or to
another allwan service (``internal``).

Reading checks the shape only; ``check_declarations`` checks the names against the purposes,
categories, sources, recipients and rules that exist, naming the file and the entry.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal, Self

from allwan_contracts.disclosures import DataCategory
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from allwan_runtime.keystore.purposes import Purpose
from allwan_runtime.processing.vocabulary import SERVICES, SOURCES

DECLARATION_FILE = "processing.toml"


class DeclarationError(ValueError):
    """The declarations, the registry or the schedule cannot make a record: every problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Activity(_Table):
    """One purpose a service processes personal data for."""

    purpose: str
    categories: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    recipients: list[str]
    retention: list[str]


class Outbound(_Table):
    """One module of a service that talks over the network."""

    module: str
    recipient: str | None = None
    records: Literal["DataDisclosed"] | None = None
    internal: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.recipient is None) == (self.internal is None):
            raise ValueError("names exactly one of recipient (outside allwan) or internal")
        if (self.recipient is None) != (self.records is None):
            raise ValueError('a client to a recipient records = "DataDisclosed", no other does')
        return self


class _File(_Table):
    activity: list[Activity] = Field(min_length=1)
    outbound: list[Outbound] = []


@dataclass(frozen=True)
class Declaration:
    service: str
    where: str
    activities: tuple[Activity, ...]
    outbound: tuple[Outbound, ...]

    def purposes(self) -> set[str]:
        return {activity.purpose for activity in self.activities}


def parse_declaration(service: str, text: str, where: str) -> Declaration:
    """The declaration in ``text`` (``where`` names its file in errors)."""
    try:
        parsed = _File.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise DeclarationError([f"{where}: not TOML: {error}"]) from None
    except ValidationError as error:
        raise DeclarationError(
            f"{where}: {_entry(problem['loc'])}: {problem['msg']}" for problem in error.errors()
        ) from None
    return Declaration(service, where, tuple(parsed.activity), tuple(parsed.outbound))


def _entry(loc: Sequence[int | str]) -> str:
    parts = [f"#{part + 1}" if isinstance(part, int) else str(part) for part in loc]
    if parts and parts[0] in {"activity", "outbound"}:
        parts[0] = f"[[{parts[0]}]]"
    return " ".join(parts) or "the file"


def read_declarations(services: Sequence[str] = SERVICES) -> list[Declaration]:
    """Every service's shipped declaration, read from its installed package."""
    declarations: list[Declaration] = []
    problems: list[str] = []
    for service in services:
        package = f"allwan_{service}"
        where = f"{package}/{DECLARATION_FILE}"
        file = resources.files(package).joinpath(DECLARATION_FILE)
        if not file.is_file():
            problems.append(f"{where}: missing: every service declares what it processes")
            continue
        try:
            declarations.append(parse_declaration(service, file.read_text("utf-8"), where))
        except DeclarationError as error:
            problems.extend(error.problems)
    if problems:
        raise DeclarationError(problems)
    return declarations


def check_declarations(
    declarations: Sequence[Declaration], recipients: Collection[str], rules: Collection[str]
) -> list[str]:
    """What in the declarations names something that does not exist, or contradicts itself."""
    problems: list[str] = []
    for declaration in declarations:
        problems.extend(_check_activities(declaration, recipients, rules))
        problems.extend(_check_outbound(declaration, recipients))
    return problems


def _check_activities(
    declaration: Declaration, recipients: Collection[str], rules: Collection[str]
) -> Iterable[str]:
    purposes = {purpose.value for purpose in Purpose}
    categories = {category.value for category in DataCategory}
    seen: set[str] = set()
    for number, activity in enumerate(declaration.activities, start=1):
        entry = f"{declaration.where}: [[activity]] #{number} ({activity.purpose})"
        if activity.purpose not in purposes:
            yield f"{entry}: unknown purpose; known: {', '.join(sorted(purposes))}"
        if activity.purpose in seen:
            yield f"{entry}: the purpose is declared twice"
        seen.add(activity.purpose)
        for kind, names, known in (
            ("category", activity.categories, categories),
            ("source", activity.sources, SOURCES.keys()),
            ("recipient", activity.recipients, recipients),
            ("retention rule", activity.retention, rules),
        ):
            for name in names:
                if name not in known:
                    yield f"{entry}: unknown {kind} {name!r}; known: {', '.join(sorted(known))}"
            if len(set(names)) != len(names):
                yield f"{entry}: a {kind} is named twice"
        if f"service:{declaration.service}" in activity.sources:
            yield f"{entry}: a service is not its own source"


def _check_outbound(declaration: Declaration, recipients: Collection[str]) -> Iterable[str]:
    package = f"allwan_{declaration.service}."
    disclosed = {name for activity in declaration.activities for name in activity.recipients}
    for number, client in enumerate(declaration.outbound, start=1):
        entry = f"{declaration.where}: [[outbound]] #{number} ({client.module})"
        if not client.module.startswith(package):
            yield f"{entry}: not a module of allwan_{declaration.service}"
        if client.internal is not None and client.internal not in SERVICES:
            yield f"{entry}: unknown service {client.internal!r}; known: {', '.join(SERVICES)}"
        if client.internal == declaration.service:
            yield f"{entry}: a service does not call itself over the network"
        if client.recipient is not None and client.recipient not in recipients:
            yield f"{entry}: unknown recipient {client.recipient!r}"
        elif client.recipient is not None and client.recipient not in disclosed:
            yield f"{entry}: recipient {client.recipient!r} is in no [[activity]]'s recipients"
