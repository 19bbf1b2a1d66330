"""The pages, by area."""

from allwan_web.entrypoints.routes import common

ROUTERS = [common.router]
