"""The record of processing activities (data map), generated from the code (PDPL, C4, D1-D3).

Each service declares in ``allwan_<service>/processing.toml`` the personal data it processes,
for which purposes, from where, disclosed to whom and kept how long, and which of its modules
talk over the network (``declarations``). ``python -m allwan_runtime.processing`` merges the
declarations into one ``RecordOfProcessing`` (``record``) and writes it as JSON and Markdown
(``render``); ``--check`` fails when the files are stale, so the record cannot drift from the
declarations, and the unit tests keep the declarations true to the code.
"""

from allwan_runtime.processing.declarations import (
    DECLARATION_FILE,
    Activity,
    Declaration,
    DeclarationError,
    Outbound,
    check_declarations,
    parse_declaration,
    read_declarations,
)
from allwan_runtime.processing.record import (
    CONTROLLER,
    build_record,
    read_recipients,
    read_schedule,
)
from allwan_runtime.processing.render import render_json, render_markdown
from allwan_runtime.processing.vocabulary import SERVICES

__all__ = [
    "CONTROLLER",
    "DECLARATION_FILE",
    "SERVICES",
    "Activity",
    "Declaration",
    "DeclarationError",
    "Outbound",
    "build_record",
    "check_declarations",
    "parse_declaration",
    "read_declarations",
    "read_recipients",
    "read_schedule",
    "render_json",
    "render_markdown",
]
