"""Reading the catalogue file the store edits (``ALLWAN_CATALOGUE_PATH``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from allwan_orders.domain.catalogue import Catalogue, CatalogueError, parse_catalogue


def load_catalogue(path: Path | None) -> Catalogue:
    """The catalogue at ``path``, or the one shipped with the service; ``CatalogueError``
    (with every problem listed) if it cannot be read or is invalid."""
    if path is None:
        text = resources.files("allwan_orders").joinpath("catalogue.toml").read_text("utf-8")
        return parse_catalogue(text, source="the shipped catalogue.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogueError(f"catalogue {path} cannot be read: {error.strerror}") from None
    return parse_catalogue(text, source=str(path))
