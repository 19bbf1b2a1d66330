"""The declarations are true to the code: every purpose a service opens personal data for is
declared (C4), every module that talks over the network is declared, and a client that sends
personal data out of allwan belongs to a service that records ``DataDisclosed`` (D3, P2)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from allwan_runtime.keystore import Purpose
from allwan_runtime.processing import SERVICES, Declaration, parse_declaration, read_declarations

from tests.unit.processing.source_scan import (
    REPOSITORY,
    purposes_named,
    service_source,
    silent_disclosers,
    stale_clients,
    undeclared_clients,
    undeclared_purposes,
)

DECLARATIONS = {declaration.service: declaration for declaration in read_declarations()}
OPENING = ("orders", "consent", "notifier", "privacy")
"""The services whose key store opens personal data (``bootstrap.PURPOSES``); the gateway's
seals only."""


def source_of(service: str) -> dict[str, ast.Module]:
    return service_source(REPOSITORY / "services" / service / "src")


def fake_service(tmp_path: Path, files: dict[str, str]) -> dict[str, ast.Module]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return service_source(tmp_path)


def fake_declaration(outbound: str = "", purposes: tuple[str, ...] = ("support",)) -> Declaration:
    activities = "".join(
        f'[[activity]]\npurpose = "{purpose}"\ncategories = ["name"]\nsources = ["customer"]\n'
        'recipients = ["smtp"]\nretention = ["customer_contact"]\n'
        for purpose in purposes
    )
    return parse_declaration("fake", activities + outbound, "allwan_fake/processing.toml")


@pytest.mark.parametrize("service", OPENING)
def test_every_purpose_a_service_holds_in_its_key_store_is_declared(service: str) -> None:
    bootstrap = importlib.import_module(f"allwan_{service}.bootstrap")
    missing = undeclared_purposes(DECLARATIONS[service], bootstrap.PURPOSES)
    assert not missing, f"allwan_{service}/processing.toml lacks an [[activity]] for {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_purpose_a_services_code_names_is_declared(service: str) -> None:
    missing = undeclared_purposes(DECLARATIONS[service], purposes_named(source_of(service)))
    assert not missing, f"allwan_{service}/processing.toml lacks an [[activity]] for {missing}"


def test_a_purpose_opened_but_not_declared_is_found(tmp_path: Path) -> None:
    modules = fake_service(
        tmp_path,
        {
            "allwan_fake/mail.py": (
                "from allwan_runtime.keystore import Purpose\n"
                "async def send(keys, sealed):\n"
                "    return await keys.open(sealed, field='email', purpose=Purpose.MARKETING)\n"
            )
        },
    )
    declaration = fake_declaration(purposes=("support",))
    assert undeclared_purposes(declaration, purposes_named(modules)) == {"marketing"}
    assert undeclared_purposes(declaration, (Purpose.SUPPORT, Purpose.DATA_ACCESS)) == {
        "data_access"
    }


@pytest.mark.parametrize("service", SERVICES)
def test_every_module_that_talks_over_the_network_is_declared(service: str) -> None:
    undeclared = undeclared_clients(DECLARATIONS[service], source_of(service))
    assert not undeclared, f"declare in allwan_{service}/processing.toml [[outbound]]: {undeclared}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_declared_client_exists_and_talks_over_the_network(service: str) -> None:
    stale = stale_clients(DECLARATIONS[service], source_of(service))
    assert not stale, f"allwan_{service}/processing.toml [[outbound]] names stale modules {stale}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_that_sends_personal_data_out_records_each_disclosure(service: str) -> None:
    silent = silent_disclosers(DECLARATIONS[service], source_of(service))
    assert not silent, (
        f"{silent} send personal data out but allwan_{service} records no DataDisclosed"
    )


def test_the_notifier_is_declared_to_disclose_to_the_smtp_provider() -> None:
    (client,) = DECLARATIONS["notifier"].outbound
    assert (client.module, client.recipient, client.records) == (
        "allwan_notifier.adapters.smtp",
        "smtp",
        "DataDisclosed",
    )


@pytest.mark.parametrize(
    ("statement", "library"),
    [
        ("import smtplib", "smtplib"),
        ("import aiosmtplib", "aiosmtplib"),
        ("from httpx import AsyncClient", "httpx"),
        ("import urllib.request", "urllib.request"),
        ("from urllib import request", "urllib.request"),
        ("import http.client as client", "http.client"),
        ("from http.client import HTTPSConnection", "http.client"),
        ("import socket", "socket"),
        ("from aiohttp import ClientSession", "aiohttp"),
        ("import requests.adapters", "requests"),
        ("import websockets", "websockets"),
        ("from grpc import aio", "grpc"),
    ],
)
def test_an_undeclared_module_importing_a_network_library_is_found(
    tmp_path: Path, statement: str, library: str
) -> None:
    modules = fake_service(tmp_path, {"allwan_fake/adapters/sender.py": statement + "\n"})
    assert undeclared_clients(fake_declaration(), modules) == [
        f"allwan_fake.adapters.sender imports {library}"
    ]


@pytest.mark.parametrize(
    "statement",
    ["from http import HTTPStatus", "from urllib.parse import quote", "import json"],
)
def test_modules_that_only_parse_or_name_http_things_are_not_clients(
    tmp_path: Path, statement: str
) -> None:
    modules = fake_service(tmp_path, {"allwan_fake/routes.py": statement + "\n"})
    assert undeclared_clients(fake_declaration(), modules) == []


OUTBOUND_SMTP = (
    '[[outbound]]\nmodule = "allwan_fake.adapters.sender"\n'
    'recipient = "smtp"\nrecords = "DataDisclosed"\n'
)


def test_a_disclosing_client_in_a_service_that_never_records_data_disclosed_is_found(
    tmp_path: Path,
) -> None:
    modules = fake_service(tmp_path, {"allwan_fake/adapters/sender.py": "import aiosmtplib\n"})
    declaration = fake_declaration(OUTBOUND_SMTP)
    assert undeclared_clients(declaration, modules) == []
    assert silent_disclosers(declaration, modules) == ["allwan_fake.adapters.sender"]


def test_a_disclosing_client_in_a_service_that_records_data_disclosed_passes(
    tmp_path: Path,
) -> None:
    modules = fake_service(
        tmp_path,
        {
            "allwan_fake/adapters/sender.py": "import aiosmtplib\n",
            "allwan_fake/handlers/deliver.py": (
                "from allwan_contracts.disclosures import DataDisclosed\n"
                "def disclosure(**fields):\n    return DataDisclosed(**fields)\n"
            ),
        },
    )
    assert silent_disclosers(fake_declaration(OUTBOUND_SMTP), modules) == []


def test_a_declared_client_that_is_gone_or_talks_to_nobody_is_stale(tmp_path: Path) -> None:
    modules = fake_service(tmp_path, {"allwan_fake/adapters/sender.py": "import json\n"})
    declaration = fake_declaration(
        OUTBOUND_SMTP + '[[outbound]]\nmodule = "allwan_fake.adapters.gone"\ninternal = "privacy"\n'
    )
    assert stale_clients(declaration, modules) == [
        "allwan_fake.adapters.sender",
        "allwan_fake.adapters.gone",
    ]
