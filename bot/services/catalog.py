"""The catalog: what the panel sells, filtered to what we can order correctly, and priced."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from bot.core.money import Money, unit_price
from bot.upstream import SUPPORTED_SERVICE_TYPES, PanelAPI, PanelService, UpstreamError
from bot.upstream.panels import Panels, as_panels
from bot.upstream.types import TYPE_PACKAGE
from storage.catalog import CatalogChanges, RouteMember, Service, ServiceRecord
from storage.repository import Repository
from storage.settings import CATEGORY

logger = logging.getLogger(__name__)


class EmptyCatalogError(UpstreamError):
    """The panel answered with no services at all; the cached catalog is kept."""


GLOBAL_MARKUP_KEY = "markup_percent"


class Pricing:
    """Turns panel rates into customer prices. One place, so every screen agrees.

    The markup of a service is its own override, else its category's, else the global one
    (set with /markup, else PRICE_MARKUP_PERCENT). Overrides are held in memory and reloaded
    when an admin changes them, so pricing a screen costs no database round trip.
    """

    def __init__(self, default_markup_percent: Decimal) -> None:
        self.default_markup_percent = default_markup_percent
        self.markup_percent = default_markup_percent
        self._by_category: dict[int, Decimal] = {}
        self._by_service: dict[int, Decimal] = {}

    async def load(self, repo: Repository) -> None:
        stored = await repo.settings.get(GLOBAL_MARKUP_KEY)
        self.markup_percent = Decimal(stored) if stored is not None else self.default_markup_percent
        by_category: dict[int, Decimal] = {}
        by_service: dict[int, Decimal] = {}
        for markup in await repo.settings.markups():
            target = by_category if markup.scope == CATEGORY else by_service
            target[markup.target_id] = markup.percent
        self._by_category, self._by_service = by_category, by_service

    def markup_for(self, service: Service) -> Decimal:
        if service.id in self._by_service:
            return self._by_service[service.id]
        return self._by_category.get(service.category_id, self.markup_percent)

    def override_for(self, scope: str, target_id: int) -> Decimal | None:
        return (self._by_category if scope == CATEGORY else self._by_service).get(target_id)

    def unit_price(self, service: Service) -> Money:
        """Price per 1000 units, or per package."""
        return unit_price(service.rate, self.markup_for(service))


def is_package(service_type: str) -> bool:
    return service_type == TYPE_PACKAGE


class CatalogService:
    def __init__(self, repo: Repository, panel: PanelAPI | Panels) -> None:
        self._repo = repo
        self._panels = as_panels(panel)

    async def refresh(self) -> CatalogChanges:
        """Fetch every panel's catalog and rebuild the shop's services from them.

        A panel that fails (or answers an empty catalog) keeps its last catalog; its failure
        is in ``failed_panels``. When every panel fails, the first failure is raised and the
        cached catalog stays as it was.
        """
        panels = self._panels.usable()
        results = await asyncio.gather(
            *(self._fetch(panel.api) for panel in panels), return_exceptions=True
        )
        fresh: dict[str, list[ServiceRecord]] = {}
        failed: dict[str, UpstreamError] = {}
        for panel, result in zip(panels, results, strict=True):
            if isinstance(result, UpstreamError):
                failed[panel.name] = result
                if self._panels.several:
                    logger.warning(
                        "Catalog of panel %s not refreshed, its last one is kept: %r",
                        panel.name,
                        result,
                    )
            elif isinstance(result, BaseException):
                raise result
            else:
                fresh[panel.name] = result
        if not fresh:
            raise next(iter(failed.values()))
        changes = await self._repo.catalog.replace_panels(fresh, [panel.name for panel in panels])
        changes.failed_panels = {name: error.detail for name, error in failed.items()}
        logger.info(
            "Catalog refreshed: %d services offered (%d added, %d changed, %d removed)",
            sum(len(records) for records in fresh.values()),
            len(changes.added),
            len(changes.changed),
            len(changes.removed),
        )
        return changes

    async def _fetch(self, panel: PanelAPI) -> list[ServiceRecord]:
        services = await panel.services()
        if not services:
            # A panel hiccup answering [] must not wipe the shop window.
            raise EmptyCatalogError("the panel returned an empty catalog", action="services")
        return [record for service in services if (record := _record(service)) is not None]

    async def route(self, shop_service_id: int) -> list[RouteMember]:
        """The panel services that may serve a shop service, in the order to try them."""
        names = [panel.name for panel in self._panels.usable()]
        return await self._repo.catalog.route(shop_service_id, names)

    async def set_route(
        self, shop_service_id: int, route: list[tuple[str, int]] | None
    ) -> CatalogChanges:
        """Pin a shop service's route (panel services in order), or None: cheapest first."""
        names = [panel.name for panel in self._panels.usable()]
        return await self._repo.catalog.set_route(shop_service_id, route, names)


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
