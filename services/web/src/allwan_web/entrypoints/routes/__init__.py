"""The pages, by area: the frame (language, cookies), the storefront, the privacy centre and
the staff console."""

from allwan_web.entrypoints.routes import common, privacy, staff, storefront

ROUTERS = [common.router, storefront.router, privacy.router, staff.router]
