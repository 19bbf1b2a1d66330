"""Real Kafka, a MongoDB-protocol server and an SMTP server as local processes, no Docker.

``provision()`` downloads and builds them into a cache outside the repository;
``DevStack`` starts them under a state directory and waits until each one answers.
The ``devstack`` command line does the same for a developer's shell.
"""

from allwan_devstack.cache import cache_root
from allwan_devstack.errors import (
    AlreadyRunningError,
    DevStackError,
    MissingToolError,
    PortInUseError,
    ProvisionError,
    ServerStartError,
)
from allwan_devstack.provision import Provisioned, provision
from allwan_devstack.resolve import real_servers
from allwan_devstack.stack import SERVERS, DevStack, Endpoints

__all__ = [
    "SERVERS",
    "AlreadyRunningError",
    "DevStack",
    "DevStackError",
    "Endpoints",
    "MissingToolError",
    "PortInUseError",
    "ProvisionError",
    "Provisioned",
    "ServerStartError",
    "cache_root",
    "provision",
    "real_servers",
]
