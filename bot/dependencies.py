"""The one list of what handlers, the web API and background work receive.

:class:`Services` is built once, in :func:`bot.app.build_services`; its fields are the
Dispatcher's workflow data, so a handler asks for ``catalog: CatalogService`` and gets
:attr:`Services.catalog`. It lives apart from the composition root so the web side can name
its type without importing ``bot.app`` (which imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bot.config import Settings
from bot.core.money import Money
from bot.runtime.observability import UpdateLog
from bot.runtime.tasks import BackgroundTasks
from bot.services.catalog import CatalogService, Pricing
from bot.services.mass_order import MassOrders
from bot.services.ordering import OrderingService
from bot.services.panel_watch import PanelBalanceWatch
from bot.services.payments import Rails, StarsTopups
from bot.services.payments.cryptopay import CryptoPayRail
from bot.services.payments.manual import ManualTopups
from bot.services.promotions import Promotions
from bot.services.quoting import QuoteBook
from bot.services.referrals import ReferralProgram
from bot.services.retention import Retention
from bot.services.search import CatalogSearch
from bot.services.tracking.status_sync import StatusSync
from bot.services.tracking.tracker import OrderTracker
from bot.telegram.broadcast_runner import BroadcastRunner
from bot.telegram.i18n import Translations
from bot.telegram.messenger import Messenger
from bot.telegram.outbox_sender import OutboxSender
from bot.telegram.pacing import Budget
from bot.telegram.throttling import Throttle
from bot.upstream import PanelAPI
from bot.upstream.panels import Panels
from storage.repository import Repository


@dataclass
class Services:
    """Everything handlers may receive (by parameter name) and background work uses."""

    settings: Settings
    repo: Repository
    panel: PanelAPI  # the main panel
    panels: Panels
    translations: Translations
    messenger: Messenger
    pricing: Pricing
    catalog: CatalogService
    ordering: OrderingService
    tracker: OrderTracker
    status_sync: StatusSync
    retention: Retention
    outbox: OutboxSender
    broadcast_runner: BroadcastRunner
    panel_watch: PanelBalanceWatch
    topups: StarsTopups
    rails: Rails
    cryptopay: CryptoPayRail | None
    manual_topups: ManualTopups
    quotes: QuoteBook
    topup_presets: list[Money]
    support_contact: str
    referrals: ReferralProgram
    promotions: Promotions
    catalog_search: CatalogSearch
    mass_orders: MassOrders
    update_log: UpdateLog
    throttle: Throttle
    send_budget: Budget
    tasks: BackgroundTasks

    def workflow_data(self) -> dict[str, Any]:
        """The fields by name, as the Dispatcher hands them to handlers."""
        return {field.name: getattr(self, field.name) for field in fields(self)}
