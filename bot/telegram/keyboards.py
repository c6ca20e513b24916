"""Inline keyboards as pure functions of what they show and the user's translator."""

from __future__ import annotations

from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.core.money import Money
from bot.services.catalog import Pricing
from bot.services.tracking.tracker import is_final
from bot.telegram.callbacks import (
    AdminAction,
    AdminCallback,
    BroadcastAction,
    BroadcastCallback,
    CategoriesPage,
    CategoryCallback,
    ConfirmAction,
    ConfirmCallback,
    FlowCallback,
    LanguageCallback,
    LedgerPage,
    ManualReviewCallback,
    MassAction,
    MassCallback,
    MenuAction,
    MenuCallback,
    OrderAction,
    OrderCallback,
    OrderServiceCallback,
    OrdersPage,
    RailCallback,
    ReorderCallback,
    ReviewAction,
    SearchPage,
    ServiceCallback,
    TopupCallback,
)
from bot.telegram.i18n import LANGUAGE_NAMES, Translator
from bot.telegram.render import plain, rail_label, status_label
from bot.upstream.types import STATUS_COMPLETED
from storage.catalog import Category, Service
from storage.orders import Order

PAGE_SIZE = 8
ORDERS_PAGE_SIZE = 6
MAX_BUTTON_TEXT = 60


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _clip(text: str, limit: int = MAX_BUTTON_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def main_menu(i18n: Translator) -> InlineKeyboardMarkup:
    """The main menu; built once per translator and shared, so never change the markup.

    Everything it shows comes from the translator (its language and bundles, the Mini App's
    address, whether invites are on), which is the cache's key; building it per answer was a
    fifth of the CPU of ``/start`` and ``/menu`` (aiogram's builder deep-copies every button).
    """
    return _main_menu(i18n)


@lru_cache(maxsize=64)
def _main_menu(i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(_button(i18n("menu-new-order"), MenuCallback(action=MenuAction.NEW_ORDER).pack()))
    builder.row(
        _button(i18n("menu-my-orders"), MenuCallback(action=MenuAction.ORDERS).pack()),
        _button(i18n("menu-balance"), MenuCallback(action=MenuAction.BALANCE).pack()),
    )
    builder.row(
        _button(i18n("menu-language"), MenuCallback(action=MenuAction.LANGUAGE).pack()),
        _button(i18n("menu-help"), MenuCallback(action=MenuAction.HELP).pack()),
    )
    if i18n.invites:
        builder.row(_button(i18n("menu-invite"), MenuCallback(action=MenuAction.INVITE).pack()))
    if i18n.mini_app_url:
        url = WebAppInfo(url=i18n.mini_app_url)
        builder.row(InlineKeyboardButton(text=i18n("menu-open-shop"), web_app=url))
    return builder.as_markup()


def back_to_menu(i18n: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack())]
        ]
    )


def _pager(
    i18n: Translator, page: int, pages: int, make: type[CategoriesPage] | type[OrdersPage]
) -> list[InlineKeyboardButton]:
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(_button(i18n("button-previous"), make(page=page - 1).pack()))
    if pages > 1:
        row.append(
            _button(i18n("page-indicator", page=page + 1, pages=pages), make(page=page).pack())
        )
    if page + 1 < pages:
        row.append(_button(i18n("button-next"), make(page=page + 1).pack()))
    return row


def categories(
    i18n: Translator, items: list[Category], page: int, pages: int
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in items:
        builder.row(
            _button(
                _clip(f"{category.name} ({category.service_count})"),
                CategoryCallback(category_id=category.id).pack(),
            )
        )
    pager = _pager(i18n, page, pages, CategoriesPage)
    if pager:
        builder.row(*pager)
    builder.row(_button(i18n("button-search"), MenuCallback(action=MenuAction.SEARCH).pack()))
    builder.row(_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack()))
    return builder.as_markup()


def services(
    i18n: Translator,
    category_id: int,
    items: list[Service],
    pricing: Pricing,
    page: int,
    pages: int,
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for service in items:
        price = i18n.money(pricing.unit_price(service))
        label = plain(i18n, "service-button", name=_clip(service.name), price=price)
        builder.row(_button(label, ServiceCallback(service_id=service.id).pack()))
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(
            _button(
                i18n("button-previous"),
                CategoryCallback(category_id=category_id, page=page - 1).pack(),
            )
        )
    if pages > 1:
        row.append(
            _button(
                i18n("page-indicator", page=page + 1, pages=pages),
                CategoryCallback(category_id=category_id, page=page).pack(),
            )
        )
    if page + 1 < pages:
        row.append(
            _button(
                i18n("button-next"), CategoryCallback(category_id=category_id, page=page + 1).pack()
            )
        )
    if row:
        builder.row(*row)
    builder.row(_button(i18n("button-back"), CategoriesPage(page=0).pack()))
    return builder.as_markup()


def service_card(i18n: Translator, service: Service) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    i18n("button-order-this"), OrderServiceCallback(service_id=service.id).pack()
                )
            ],
            [
                _button(
                    i18n("button-back"), CategoryCallback(category_id=service.category_id).pack()
                )
            ],
        ]
    )


def flow_cancel(i18n: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(i18n("button-cancel"), FlowCallback().pack())]]
    )


def confirmation(
    i18n: Translator, token: str, *, can_pay: bool, dripfeed: bool = False
) -> InlineKeyboardMarkup:
    """Confirm / Cancel; drip-feed where the service offers it; how to top up when short."""

    def action(kind: ConfirmAction) -> str:
        return ConfirmCallback(token=token, action=kind).pack()

    rows = [
        [
            _button(i18n("button-confirm"), action(ConfirmAction.CONFIRM)),
            _button(i18n("button-cancel"), action(ConfirmAction.CANCEL)),
        ]
    ]
    if dripfeed:
        rows.append([_button(i18n("button-dripfeed"), action(ConfirmAction.DRIPFEED))])
    if not can_pay:
        rows.append(
            [_button(i18n("button-top-up"), MenuCallback(action=MenuAction.BALANCE).pack())]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def orders_list(
    i18n: Translator, items: list[Order], page: int, pages: int
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for order in items:
        label = _order_label(i18n, order)
        builder.row(_button(label, OrderCallback(order_id=order.id, page=page).pack()))
    pager = _pager(i18n, page, pages, OrdersPage)
    if pager:
        builder.row(*pager)
    builder.row(_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack()))
    return builder.as_markup()


def _order_label(i18n: Translator, order: Order) -> str:
    """Number, service and status; a long service name is shortened, never the status, which
    is what the list is read for."""
    status = status_label(i18n, order.status)
    label = plain(i18n, "orders-button", id=order.id, service=order.service_name, status=status)
    excess = len(label) - MAX_BUTTON_TEXT
    if excess > 0:
        service = _clip(order.service_name, max(len(order.service_name) - excess, 12))
        label = plain(i18n, "orders-button", id=order.id, service=service, status=status)
    return _clip(label)


def order_card(i18n: Translator, order: Order, page: int) -> InlineKeyboardMarkup:
    def action(kind: OrderAction) -> str:
        return OrderCallback(order_id=order.id, action=kind, page=page).pack()

    rows: list[list[InlineKeyboardButton]] = []
    if order.upstream_id is not None and not is_final(order.status):
        rows.append([_button(i18n("button-refresh"), action(OrderAction.REFRESH))])
    extra: list[InlineKeyboardButton] = []
    if order.refill_allowed and order.status == STATUS_COMPLETED:
        extra.append(_button(i18n("button-refill"), action(OrderAction.REFILL)))
    if order.cancel_allowed and order.upstream_id is not None and not is_final(order.status):
        extra.append(_button(i18n("button-cancel-order"), action(OrderAction.CANCEL)))
    if extra:
        rows.append(extra)
    rows.append([_button(i18n("button-order-again"), ReorderCallback(order_id=order.id).pack())])
    rows.append([_button(i18n("button-back"), OrdersPage(page=page).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def languages(i18n: Translator, available: list[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in available:
        mark = "✓ " if code == i18n.language else ""
        builder.button(
            text=f"{mark}{LANGUAGE_NAMES.get(code, code)}",
            callback_data=LanguageCallback(language=code).pack(),
        )
    builder.adjust(2)
    builder.row(_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack()))
    return builder.as_markup()


def open_order(i18n: Translator, order_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(i18n("button-open-order"), OrderCallback(order_id=order_id).pack())]
        ]
    )


def admin_menu(i18n: Translator) -> InlineKeyboardMarkup:
    def button(message_id: str, action: AdminAction) -> InlineKeyboardButton:
        return _button(i18n(message_id), AdminCallback(action=action).pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("admin-button-stats", AdminAction.STATS)],
            [button("admin-button-broadcast", AdminAction.BROADCAST)],
            [
                button("admin-button-unknown", AdminAction.UNKNOWN),
                button("admin-button-users", AdminAction.USERS),
            ],
            [
                button("admin-button-catalog", AdminAction.CATALOG),
                button("admin-button-sync", AdminAction.SYNC),
            ],
        ]
    )


def admin_back(i18n: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(i18n("admin-button-menu"), AdminCallback(action=AdminAction.MENU).pack())]
        ]
    )


def broadcast_confirm(i18n: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    def button(message_id: str, action: BroadcastAction) -> InlineKeyboardButton:
        return _button(
            i18n(message_id), BroadcastCallback(broadcast_id=broadcast_id, action=action).pack()
        )

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("broadcast-button-send", BroadcastAction.SEND),
                button("button-cancel", BroadcastAction.DISCARD),
            ]
        ]
    )


def broadcast_progress(i18n: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    data = BroadcastCallback(broadcast_id=broadcast_id, action=BroadcastAction.STOP).pack()
    return InlineKeyboardMarkup(inline_keyboard=[[_button(i18n("broadcast-button-stop"), data)]])


def topup_amounts(
    i18n: Translator, presets: list[Money], *, rail: str = "stars", back_to_rails: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for amount in presets:
        builder.button(
            text=i18n.money(amount), callback_data=TopupCallback(micros=amount.micros, rail=rail)
        )
    builder.adjust(2)
    builder.row(_button(i18n("topup-button-other"), TopupCallback(micros=0, rail=rail).pack()))
    if back_to_rails:
        builder.row(_button(i18n("button-back"), MenuCallback(action=MenuAction.TOPUP).pack()))
    builder.row(_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack()))
    return builder.as_markup()


def topup_rails(i18n: Translator, rails: list[str]) -> InlineKeyboardMarkup:
    rows = [[_button(rail_label(i18n, rail), RailCallback(rail=rail).pack())] for rail in rails]
    rows.append([_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def pay_link(i18n: Translator, url: str, amount: str) -> InlineKeyboardMarkup:
    """The button that opens the provider's payment page (Crypto Pay: its invoice in @CryptoBot)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_clip(i18n("cryptopay-button-pay", amount=amount)), url=url
                )
            ],
            [_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack())],
        ]
    )


def manual_review(i18n: Translator, topup_id: int) -> InlineKeyboardMarkup:
    def button(message_id: str, action: ReviewAction) -> InlineKeyboardButton:
        return _button(
            i18n(message_id), ManualReviewCallback(topup_id=topup_id, action=action).pack()
        )

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("manual-button-approve", ReviewAction.APPROVE),
                button("manual-button-reject", ReviewAction.REJECT),
            ]
        ]
    )


def pending_requests(i18n: Translator, topup_ids: list[int]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(
                i18n("manual-button-approve-id", id=topup_id),
                ManualReviewCallback(topup_id=topup_id, action=ReviewAction.APPROVE).pack(),
            ),
            _button(
                i18n("manual-button-reject-id", id=topup_id),
                ManualReviewCallback(topup_id=topup_id, action=ReviewAction.REJECT).pack(),
            ),
        ]
        for topup_id in topup_ids
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def balance_screen(i18n: Translator, *, several_rails: bool = False) -> InlineKeyboardMarkup:
    top_up = i18n("button-top-up-rails") if several_rails else i18n("button-top-up-stars")
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(top_up, MenuCallback(action=MenuAction.TOPUP).pack())],
            [_button(i18n("button-history"), LedgerPage(page=0).pack())],
            [_button(i18n("button-promo"), MenuCallback(action=MenuAction.PROMO).pack())],
            [_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack())],
        ]
    )


def ledger_pages(i18n: Translator, page: int, pages: int) -> InlineKeyboardMarkup:
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(_button(i18n("button-previous"), LedgerPage(page=page - 1).pack()))
    if pages > 1:
        row.append(
            _button(
                i18n("page-indicator", page=page + 1, pages=pages), LedgerPage(page=page).pack()
            )
        )
    if page + 1 < pages:
        row.append(_button(i18n("button-next"), LedgerPage(page=page + 1).pack()))
    rows = [row] if row else []
    rows.append([_button(i18n("button-back"), MenuCallback(action=MenuAction.BALANCE).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- growth: search results, mass orders ----------------------------------------------------


def search_results(
    i18n: Translator, query: str, items: list[Service], pricing: Pricing, page: int, pages: int
) -> InlineKeyboardMarkup:
    """Found services (with the id /mass and deep links use), pages, a new search."""
    builder = InlineKeyboardBuilder()
    for service in items:
        price = i18n.money(pricing.unit_price(service))
        label = plain(
            i18n, "search-result-button", id=str(service.id), name=_clip(service.name), price=price
        )
        builder.row(_button(_clip(label), ServiceCallback(service_id=service.id).pack()))
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(_button(i18n("button-previous"), SearchPage(page=page - 1, query=query).pack()))
    if pages > 1:
        row.append(
            _button(
                i18n("page-indicator", page=page + 1, pages=pages),
                SearchPage(page=page, query=query).pack(),
            )
        )
    if page + 1 < pages:
        row.append(_button(i18n("button-next"), SearchPage(page=page + 1, query=query).pack()))
    if row:
        builder.row(*row)
    builder.row(_button(i18n("button-search-again"), MenuCallback(action=MenuAction.SEARCH).pack()))
    builder.row(_button(i18n("button-main-menu"), MenuCallback(action=MenuAction.MAIN).pack()))
    return builder.as_markup()


def open_in_bot(i18n: Translator, url: str) -> InlineKeyboardMarkup:
    """The button under an inline search result: opens the bot at that service."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=i18n("inline-open-button"), url=url)]]
    )


def mass_confirmation(i18n: Translator, token: str, *, can_confirm: bool) -> InlineKeyboardMarkup:
    cancel = _button(
        i18n("button-cancel"), MassCallback(token=token, action=MassAction.CANCEL).pack()
    )
    if not can_confirm:
        return InlineKeyboardMarkup(inline_keyboard=[[cancel]])
    confirm = _button(
        i18n("button-confirm"), MassCallback(token=token, action=MassAction.CONFIRM).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[confirm, cancel]])
