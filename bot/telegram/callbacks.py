"""Every inline button's data, as CallbackData factories with short prefixes (64-byte limit).

A button only ever carries ids; handlers load the object and check that it belongs to the
user who pressed it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.core.ids import MAX_ID

# Ids and page numbers a button may carry: anything else is forged (and an id past 2**63 would
# not even fit SQLite), so it fails to unpack and is answered like any outdated button.
Number = Annotated[int, Field(ge=0, le=MAX_ID)]


class MenuAction(StrEnum):
    MAIN = "main"
    NEW_ORDER = "new"
    ORDERS = "orders"
    BALANCE = "balance"
    LANGUAGE = "lang"
    HELP = "help"
    TOPUP = "topup"
    INVITE = "invite"
    SEARCH = "search"
    PROMO = "promo"


class MenuCallback(CallbackData, prefix="m"):
    action: MenuAction


class CategoriesPage(CallbackData, prefix="cp"):
    page: Number


class CategoryCallback(CallbackData, prefix="c"):
    category_id: Number
    page: Number = 0


class ServiceCallback(CallbackData, prefix="s"):
    service_id: Number


class OrderServiceCallback(CallbackData, prefix="os"):
    """ "Order this" on a service card: starts the order flow."""

    service_id: Number


class ConfirmAction(StrEnum):
    CONFIRM = "ok"
    CANCEL = "no"
    DRIPFEED = "df"  # deliver in runs: asks runs and interval, then the card again


class ConfirmCallback(CallbackData, prefix="cf"):
    """The confirmation card; the token ties the press to exactly one order."""

    token: str
    action: ConfirmAction


class OrdersPage(CallbackData, prefix="op"):
    page: Number


class OrderAction(StrEnum):
    VIEW = "v"
    REFRESH = "r"
    REFILL = "rf"
    CANCEL = "x"


class OrderCallback(CallbackData, prefix="o"):
    order_id: Number
    action: OrderAction = OrderAction.VIEW
    page: Number = 0


class ReorderCallback(CallbackData, prefix="ra"):
    """ "Order again" on an order's card: the same order, at today's price."""

    order_id: Number


class LanguageCallback(CallbackData, prefix="l"):
    language: str


class FlowCallback(CallbackData, prefix="f"):
    """Leave the order flow from one of its prompts."""

    action: str = "cancel"


class AdminAction(StrEnum):
    MENU = "menu"
    STATS = "stats"
    BROADCAST = "bc"
    UNKNOWN = "unk"
    CATALOG = "cat"
    SYNC = "sync"
    USERS = "users"


class AdminCallback(CallbackData, prefix="adm"):
    action: AdminAction


class BroadcastAction(StrEnum):
    SEND = "send"
    DISCARD = "drop"
    STOP = "stop"


class BroadcastCallback(CallbackData, prefix="bc"):
    broadcast_id: Number
    action: BroadcastAction


class TopupCallback(CallbackData, prefix="tu"):
    """A preset top-up amount in micro-units for a payment rail; 0 asks for a custom amount."""

    micros: Number
    rail: str = "stars"


class RailCallback(CallbackData, prefix="tr"):
    """A payment rail on the top-up screen: its amount choice."""

    rail: str


class ReviewAction(StrEnum):
    APPROVE = "ok"
    REJECT = "no"


class ManualReviewCallback(CallbackData, prefix="mr"):
    """An admin's decision on a manual top-up request."""

    topup_id: Number
    action: ReviewAction


class LedgerPage(CallbackData, prefix="lp"):
    page: Number


class SearchPage(CallbackData, prefix="sr"):
    """A page of search results; the (normalized, clipped) query rides along."""

    page: Number
    query: str


class MassAction(StrEnum):
    CONFIRM = "ok"
    CANCEL = "no"


class MassCallback(CallbackData, prefix="mo"):
    """The mass order card; the token ties the press to exactly one batch."""

    token: str
    action: MassAction
