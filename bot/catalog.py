"""The catalog: what the panel sells, filtered to what we can order correctly, and priced."""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.money import Money, unit_price
from bot.upstream import SUPPORTED_SERVICE_TYPES, PanelAPI, PanelService, UpstreamError
from bot.upstream.types import TYPE_PACKAGE
from storage.catalog import CatalogChanges, Service, ServiceRecord
from storage.repository import Repository

logger = logging.getLogger(__name__)


class EmptyCatalogError(UpstreamError):
    """The panel answered with no services at all; the cached catalog is kept."""


class Pricing:
    """Turns panel rates into customer prices. One place, so every screen agrees."""

    def __init__(self, markup_percent: Decimal) -> None:
        self.markup_percent = markup_percent

    def markup_for(self, service: Service) -> Decimal:
        return self.markup_percent

    def unit_price(self, service: Service) -> Money:
        """Price per 1000 units, or per package."""
        return unit_price(service.rate, self.markup_for(service))


def is_package(service_type: str) -> bool:
    return service_type == TYPE_PACKAGE


class CatalogService:
    def __init__(self, repo: Repository, panel: PanelAPI) -> None:
        self._repo = repo
        self._panel = panel

    async def refresh(self) -> CatalogChanges:
        """Fetch the panel's catalog and store the services we can sell.

        Raises the upstream error on failure, leaving the cached catalog as it was.
        """
        services = await self._panel.services()
        if not services:
            # A panel hiccup answering [] must not wipe the shop window.
            raise EmptyCatalogError("the panel returned an empty catalog", action="services")
        records = [record for service in services if (record := _record(service)) is not None]
        changes = await self._repo.catalog.replace(records)
        logger.info(
            "Catalog refreshed: %d services offered (%d added, %d changed, %d removed)",
            len(records),
            len(changes.added),
            len(changes.changed),
            len(changes.removed),
        )
        return changes


def _record(service: PanelService) -> ServiceRecord | None:
    reason = _hidden_reason(service)
    if reason:
        logger.info("Hiding service %s (%s): %s", service.service_id, service.name, reason)
        return None
    return ServiceRecord(
        id=service.service_id,
        category=service.category.strip() or "Other",
        name=service.name.strip() or f"#{service.service_id}",
        type=service.type,
        rate=service.rate,
        min_quantity=1 if is_package(service.type) else service.min_quantity,
        max_quantity=1 if is_package(service.type) else service.max_quantity,
        refill=service.refill,
        cancel=service.cancel,
        dripfeed=service.dripfeed,
        description=service.description,
    )


def _hidden_reason(service: PanelService) -> str | None:
    if service.type not in SUPPORTED_SERVICE_TYPES:
        return f"type {service.type!r} is not supported by the storefront"
    if service.rate <= 0:
        return "rate is not positive"
    if not is_package(service.type) and not 0 < service.min_quantity <= service.max_quantity:
        return f"quantity bounds {service.min_quantity}-{service.max_quantity} are not usable"
    return None
