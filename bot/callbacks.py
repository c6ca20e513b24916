"""Every inline button's data, as CallbackData factories with short prefixes (64-byte limit).

A button only ever carries ids; handlers load the object and check that it belongs to the
user who pressed it.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    MAIN = "main"
    NEW_ORDER = "new"
    ORDERS = "orders"
    BALANCE = "balance"
    LANGUAGE = "lang"
    HELP = "help"
    TOPUP = "topup"


class MenuCallback(CallbackData, prefix="m"):
    action: MenuAction


class CategoriesPage(CallbackData, prefix="cp"):
    page: int


class CategoryCallback(CallbackData, prefix="c"):
    category_id: int
    page: int = 0


class ServiceCallback(CallbackData, prefix="s"):
    service_id: int


class OrderServiceCallback(CallbackData, prefix="os"):
    """ "Order this" on a service card: starts the order flow."""

    service_id: int


class ConfirmAction(StrEnum):
    CONFIRM = "ok"
    CANCEL = "no"


class ConfirmCallback(CallbackData, prefix="cf"):
    """The confirmation card; the token ties the press to exactly one order."""

    token: str
    action: ConfirmAction


class OrdersPage(CallbackData, prefix="op"):
    page: int


class OrderAction(StrEnum):
    VIEW = "v"
    REFRESH = "r"
    REFILL = "rf"
    CANCEL = "x"


class OrderCallback(CallbackData, prefix="o"):
    order_id: int
    action: OrderAction = OrderAction.VIEW
    page: int = 0


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
    broadcast_id: int
    action: BroadcastAction


class TopupCallback(CallbackData, prefix="tu"):
    """A preset top-up amount in micro-units; 0 asks for a custom amount."""

    micros: int


class LedgerPage(CallbackData, prefix="lp"):
    page: int
