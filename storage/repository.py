"""One facade over the repositories, handed to handlers and services as ``repo``."""

from __future__ import annotations

from storage.broadcasts import BroadcastRepository
from storage.catalog import CatalogRepository
from storage.database import Database
from storage.ledger import LedgerRepository
from storage.orders import OrderRepository
from storage.outbox import OutboxRepository
from storage.payments import PaymentRepository
from storage.promos import PromoRepository
from storage.quotes import QuoteRepository
from storage.referrals import ReferralRepository
from storage.settings import SettingsRepository
from storage.stats import StatsRepository
from storage.topups import TopupRepository
from storage.users import UserRepository


class Repository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.users = UserRepository(database)
        self.ledger = LedgerRepository(database)
        self.catalog = CatalogRepository(database)
        self.orders = OrderRepository(database)
        self.outbox = OutboxRepository(database)
        self.settings = SettingsRepository(database)
        self.broadcasts = BroadcastRepository(database)
        self.stats = StatsRepository(database)
        self.payments = PaymentRepository(database)
        self.quotes = QuoteRepository(database)
        self.topups = TopupRepository(database)
        self.referrals = ReferralRepository(database)
        self.promos = PromoRepository(database)
