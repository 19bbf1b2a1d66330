"""What a service's source does, read with ``ast``: the network libraries each module
imports, the purposes it names, whether it names ``DataDisclosed``; and what of that its
``processing.toml`` does not declare."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from allwan_runtime.keystore import Purpose
from allwan_runtime.processing import Declaration

REPOSITORY = Path(__file__).resolve().parents[3]

NETWORK_LIBRARIES = (
    "aiosmtplib",
    "smtplib",
    "httpx",
    "aiohttp",
    "requests",
    "urllib.request",
    "http.client",
    "socket",
    "websockets",
    "grpc",
)
"""Libraries that open connections: a module importing one talks to something over the network."""


def service_source(src: Path) -> dict[str, ast.Module]:
    """Every module under ``src`` (a ``services/<name>/src``), parsed, by dotted name."""
    modules = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return modules


def imported(tree: ast.Module) -> set[str]:
    """Each module imported, and each ``from X import y`` also as ``X.y`` (it may be a module)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def network_libraries(tree: ast.Module) -> set[str]:
    return {
        library
        for name in imported(tree)
        for library in NETWORK_LIBRARIES
        if name == library or name.startswith(f"{library}.")
    }


def named(tree: ast.Module) -> set[str]:
    """Every identifier the module names: variables, attributes, imported names."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.rsplit(".", 1)[-1])
    return names


def purposes_named(modules: dict[str, ast.Module]) -> set[Purpose]:
    """Every ``Purpose.<MEMBER>`` the source names: a purpose it opens data for."""
    return {
        Purpose[node.attr]
        for tree in modules.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Purpose"
        and node.attr in Purpose.__members__
    }


def undeclared_purposes(declaration: Declaration, opened: Iterable[Purpose]) -> set[str]:
    return {purpose.value for purpose in opened} - declaration.purposes()


def undeclared_clients(declaration: Declaration, modules: dict[str, ast.Module]) -> list[str]:
    """Modules that import a network library and are not in ``[[outbound]]``."""
    declared = {client.module for client in declaration.outbound}
    return [
        f"{name} imports {', '.join(sorted(libraries))}"
        for name, tree in modules.items()
        if (libraries := network_libraries(tree)) and name not in declared
    ]


def stale_clients(declaration: Declaration, modules: dict[str, ast.Module]) -> list[str]:
    """``[[outbound]]`` modules that do not exist or import no network library."""
    return [
        client.module
        for client in declaration.outbound
        if client.module not in modules or not network_libraries(modules[client.module])
    ]


def silent_disclosers(declaration: Declaration, modules: dict[str, ast.Module]) -> list[str]:
    """Clients sending personal data out of allwan, in a service whose source never names
    ``DataDisclosed``: what they send is in no one's disclosure ledger (D3, P2)."""
    records = any("DataDisclosed" in named(tree) for tree in modules.values())
    return [
        client.module
        for client in declaration.outbound
        if client.recipient is not None and not records
    ]
