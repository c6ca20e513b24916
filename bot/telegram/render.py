"""Texts of the cards and screens, composed from translations (no text lives here either)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from bot.core.money import Money
from bot.services.catalog import Pricing, is_package
from bot.services.ordering import Quote
from bot.services.payments.rails import PaymentRail, RailName
from bot.services.stats import Period, Stats
from bot.telegram.i18n import Markup, Translator
from bot.telegram.ledger_history import ledger_sentence
from bot.upstream.types import (
    STATUS_CANCELED,
    STATUS_COMPLETED,
    STATUS_IN_PROGRESS,
    STATUS_PARTIAL,
    STATUS_PENDING,
    STATUS_PROCESSING,
    TYPE_CUSTOM_COMMENTS,
    TYPE_DEFAULT,
    TYPE_PACKAGE,
    TYPE_POLL,
    PanelBalance,
)
from storage.catalog import Service
from storage.ledger import LedgerEntry
from storage.orders import FAILED, PLACING, UNKNOWN, Order
from storage.topups import EXPIRED, REJECTED, Topup
from storage.users import User

_STATUS_IDS = {
    PLACING: "status-placing",
    UNKNOWN: "status-unknown",
    FAILED: "status-failed",
    STATUS_PENDING: "status-pending",
    STATUS_IN_PROGRESS: "status-in-progress",
    STATUS_PROCESSING: "status-in-progress",
    STATUS_COMPLETED: "status-completed",
    STATUS_PARTIAL: "status-partial",
    STATUS_CANCELED: "status-canceled",
}
_TYPE_IDS = {
    TYPE_DEFAULT: "service-type-default",
    TYPE_PACKAGE: "service-type-package",
    TYPE_CUSTOM_COMMENTS: "service-type-comments",
    TYPE_POLL: "service-type-poll",
}
# A payment rail's name in the customer's language; a new rail adds its row (and messages).
_RAIL_IDS = {
    "stars": "rail-stars",
    "cryptopay": "rail-cryptopay",
    "manual": "rail-manual",
}
_HOWTO_IDS = {
    TYPE_DEFAULT: "service-howto-default",
    TYPE_PACKAGE: "service-howto-package",
    TYPE_CUSTOM_COMMENTS: "service-howto-comments",
    TYPE_POLL: "service-howto-poll",
}


def plain(i18n: Translator, message_id: str, **arguments: object) -> str:
    """A translation for places Telegram shows as plain text (button labels, alerts).

    Arguments go in as they are: escaping them for HTML there would show ``&amp;`` instead of
    ``&`` in a service name or a panel's reason.
    """
    raw = {
        name: Markup(value) if isinstance(value, str) else value
        for name, value in arguments.items()
    }
    return i18n(message_id, **raw)


def status_label(i18n: Translator, status: str) -> str:
    """A status in the user's language; statuses we do not know are shown as the panel sent."""
    message_id = _STATUS_IDS.get(status)
    return i18n(message_id) if message_id else status


_REFILL_STATUS_IDS = {
    "Pending": "refill-status-pending",
    "In progress": "refill-status-in-progress",
    "Completed": "refill-status-completed",
    "Rejected": "refill-status-rejected",
    "Error": "refill-status-rejected",
}


def refill_status_label(i18n: Translator, status: str) -> str:
    message_id = _REFILL_STATUS_IDS.get(status)
    return i18n(message_id) if message_id else status


def service_type_label(i18n: Translator, service_type: str) -> str:
    return i18n(_TYPE_IDS.get(service_type, "service-type-default"))


def rail_label(i18n: Translator, rail: str) -> Markup:
    """A rail's name, already safe to pass as an argument of another message."""
    message_id = _RAIL_IDS.get(rail)
    return Markup(i18n(message_id)) if message_id else Markup(i18n("rail-unknown", rail=rail))


_PAYSUPPORT_IDS: dict[str, str] = {
    RailName.STARS.value: "paysupport-stars",
    RailName.CRYPTOPAY.value: "paysupport-cryptopay",
    RailName.MANUAL.value: "paysupport-manual",
}


def pay_support(i18n: Translator, rails: Iterable[PaymentRail], contact: str) -> str:
    """/paysupport: how each enabled rail is paid and what can be refunded, and whom to ask."""
    parts = [i18n("paysupport-title")]
    for rail in rails:
        message_id = _PAYSUPPORT_IDS.get(rail.name)
        if message_id is not None:
            parts.append(i18n(message_id, contact=contact, minutes=rail.expiry_minutes or 0))
    parts.append(i18n("paysupport-spent"))
    return "\n\n".join(parts)


def topup_receipt(i18n: Translator, topup: Topup, amount: Money, balance: Money) -> str:
    return i18n(
        "topup-credited",
        id=topup.id,
        amount=i18n.money(amount),
        rail=rail_label(i18n, topup.rail),
        balance=i18n.money(balance),
    )


def topup_closed(i18n: Translator, topup: Topup) -> str:
    arguments = {
        "id": topup.id,
        "amount": i18n.money(topup.amount),
        "rail": rail_label(i18n, topup.rail),
    }
    if topup.status == REJECTED:
        return i18n("topup-rejected", reason=topup.reason or "-", **arguments)
    if topup.status == EXPIRED:
        # A manual request expires for want of proof; an invoice for want of payment.
        manual = topup.rail == RailName.MANUAL
        message_id = "topup-manual-expired" if manual else "topup-expired"
        return i18n(message_id, **arguments)
    return i18n("topup-not-paid", **arguments)


def person(user: User | None, user_id: int) -> str:
    """How an admin sees a customer: their name, their @username, else their id."""
    if user is None:
        return str(user_id)
    name = user.first_name or (f"@{user.username}" if user.username else "")
    if name and user.username and user.first_name:
        name = f"{user.first_name} (@{user.username})"
    return name or str(user_id)


def manual_review_card(i18n: Translator, topup: Topup, user: User | None) -> str:
    return i18n(
        "manual-review-card",
        id=topup.id,
        user=person(user, topup.user_id),
        user_id=topup.user_id,
        amount=i18n.money(topup.amount),
        date=topup.created_at[:16],
    )


def manual_pending_line(i18n: Translator, topup: Topup, user: User | None) -> str:
    return i18n(
        "manual-pending-line",
        id=topup.id,
        user=person(user, topup.user_id),
        amount=i18n.money(topup.amount),
        date=topup.created_at[:16],
    )


def yes_no(i18n: Translator, value: bool) -> str:
    return i18n("word-yes") if value else i18n("word-no")


def service_card(i18n: Translator, service: Service, pricing: Pricing) -> str:
    price = i18n.money(pricing.unit_price(service))
    return (
        i18n(
            "service-card",
            name=service.name,
            category=service.category,
            type=service_type_label(i18n, service.type),
            price=price,
            per_package="yes" if is_package(service.type) else "no",
            min=service.min_quantity,
            max=service.max_quantity,
            refill=yes_no(i18n, service.refill),
            cancel=yes_no(i18n, service.cancel),
            description=service.description or "-",
            howto=Markup(i18n(_HOWTO_IDS.get(service.type, "service-howto-default"))),
        )
        + "\n\n"
        + i18n("service-card-id", id=str(service.id))
    )


def prompt(i18n: Translator, message_id: str, arguments: Mapping[str, Any]) -> str:
    """A question of the order form; amounts among its arguments are written as money."""
    return i18n(
        message_id,
        **{
            name: i18n.money(value) if isinstance(value, Money) else value
            for name, value in arguments.items()
        },
    )


def quantity(
    i18n: Translator, quantity: int | None, runs: int | None, interval: int | None
) -> int | Markup:
    """What a card shows as the quantity: with a drip-feed order's runs and interval."""
    if quantity is None:
        return 1  # a package
    if runs is None or interval is None:
        return quantity
    return Markup(
        i18n(
            "dripfeed-quantity",
            quantity=quantity,
            runs=runs,
            interval=interval,
            total=quantity * runs,
        )
    )


def confirmation_card(i18n: Translator, quote: Quote, balance: Money) -> str:
    after = balance - quote.price
    lines = [
        i18n(
            "confirm-card",
            service=quote.service_name,
            link=quote.link,
            quantity=quantity(i18n, quote.quantity, quote.runs, quote.interval),
            price=i18n.money(quote.price),
            balance=i18n.money(balance),
            after=i18n.money(after),
        )
    ]
    if quote.discount.is_positive:
        lines.append(discount_line(i18n, quote))
    if after.is_negative:
        lines.append(i18n("confirm-not-enough", missing=i18n.money(-after)))
    return "\n\n".join(lines)


def discount_line(i18n: Translator, quote: Quote) -> str:
    """The pending promo a quote's price already has off."""
    return i18n(
        "promo-discount-line",
        code=quote.promo_code or "",
        percent=Decimal(quote.promo_percent or "0"),
        discount=i18n.money(quote.discount),
    )


def order_card(i18n: Translator, order: Order) -> str:
    unknown = i18n("word-unknown")
    return i18n(
        "order-card",
        id=order.id,
        service=order.service_name,
        link=order.link,
        quantity=quantity(i18n, order.quantity, order.runs, order.interval),
        charge=i18n.money(order.price),
        status=status_label(i18n, order.status),
        start_count=unknown if order.start_count is None else str(order.start_count),
        remains=unknown if order.remains is None else str(order.remains),
        created=order.created_at,
        updated=order.updated_at,
    )


def ledger_line(i18n: Translator, entry: LedgerEntry) -> str:
    sign = "+" if entry.amount.is_positive else ""
    return i18n(
        "ledger-line",
        date=entry.created_at[:16],
        amount=sign + i18n.money(entry.amount),
        what=ledger_sentence(i18n, entry),
    )


def stats(i18n: Translator, figures: Stats) -> str:
    def period(message_id: str, data: Period) -> str:
        return i18n(
            message_id,
            orders=data.orders,
            revenue=i18n.money(data.revenue),
            cost=i18n.money(data.cost),
            profit=i18n.money(data.profit),
        )

    by_status = ", ".join(
        f"{status_label(i18n, status)}: {count}"
        for status, count in sorted(figures.orders_by_status.items())
    )

    def topups(message_id: str, data: Period) -> str:
        by_rail = " · ".join(
            i18n(
                "stats-topups-rail",
                rail=Markup(rail_label(i18n, total.rail)),
                amount=i18n.money(total.amount),
                count=total.count,
            )
            for total in data.topups
        )
        return i18n(message_id, by_rail=Markup(by_rail or "-"))

    if figures.panel_balance is None:
        panel = i18n("stats-panel-unavailable")
    else:
        panel = i18n.money(
            Money.from_decimal(figures.panel_balance.amount),
            figures.panel_balance.currency or i18n.currency,
        )

    def balance(value: PanelBalance | None) -> str:
        if value is None:
            return i18n("stats-panel-unavailable")
        return i18n.money(Money.from_decimal(value.amount), value.currency or i18n.currency)

    panels = [
        i18n(
            "stats-panel-line",
            panel=figures_of.name,
            balance=balance(figures_of.balance),
            week_orders=figures_of.week.orders,
            week_cost=i18n.money(figures_of.week.cost),
            week_profit=i18n.money(figures_of.week.profit),
            orders=figures_of.all_time.orders,
            cost=i18n.money(figures_of.all_time.cost),
            profit=i18n.money(figures_of.all_time.profit),
        )
        for figures_of in figures.panels
    ]
    by_panel = [i18n("stats-panels-title") + "\n" + "\n".join(panels)] if panels else []
    return "\n\n".join(
        [
            i18n(
                "stats-users",
                total=figures.users_total,
                today=figures.users_today,
                week=figures.users_week,
                blocked=figures.users_blocked,
                banned=figures.users_banned,
            ),
            i18n("stats-orders", active=figures.active_orders, by_status=by_status or "-"),
            period("stats-today", figures.today),
            period("stats-week", figures.week),
            period("stats-all-time", figures.all_time),
            *(
                # Shown once there is anything to split: top-ups by payment rail.
                [
                    "\n".join(
                        [
                            i18n("stats-topups-title"),
                            topups("stats-topups-today", figures.today),
                            topups("stats-topups-week", figures.week),
                            topups("stats-topups-all-time", figures.all_time),
                        ]
                    )
                ]
                if figures.all_time.topups
                else []
            ),
            i18n("stats-panel-balance", balance=panel),
            *by_panel,
        ]
    )
