"""Ordering: validating what the customer typed, quoting, and charging + placing safely."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from bot.core.errors import (
    InvalidAnswerNumberError,
    InvalidCommentsError,
    InvalidIntervalError,
    InvalidLinkError,
    InvalidQuantityError,
    InvalidRunsError,
    NotEnoughBalanceError,
    OrderAlreadyPlacedError,
    OrderNotFoundError,
    OrderNotUnknownError,
    OrderOutcomeUnknownError,
    OrderRefusedError,
    PanelCheckUnavailableError,
    PanelIdTakenError,
    PanelOrderNotFoundError,
    PanelUnavailableError,
    PromoDiscountUsedError,
)
from bot.core.money import Money, order_price, panel_cost
from bot.services.catalog import Pricing, is_package
from bot.upstream import (
    NewOrder,
    PanelAPI,
    PanelOutcomeUnknownError,
    PanelRefusedError,
    PanelUnreachableError,
    UpstreamError,
)
from bot.upstream.panels import Panel, Panels, as_panels
from bot.upstream.refusals import Refusal, classify_refusal
from bot.upstream.types import STATUS_PENDING, TYPE_CUSTOM_COMMENTS, TYPE_POLL
from storage.catalog import RouteMember, Service, route_order
from storage.errors import DuplicateOrderError, DuplicateUpstreamIdError, InsufficientBalanceError
from storage.ledger import EntryKind
from storage.orders import FAILED, PLACING, UNKNOWN, Order, OrderDraft
from storage.outbox import NOTIFY_ORDER_SETTLED
from storage.repository import Repository

logger = logging.getLogger(__name__)

MAX_LINK_LENGTH = 2000
MAX_COMMENT_LENGTH = 500
MAX_POLL_ANSWER = 100
# Drip-feed bounds: up to 100 runs, at most a day apart (a daily delivery for three months).
MAX_RUNS = 100
MAX_INTERVAL_MINUTES = 1440
_TELEGRAM_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
_TELEGRAM_SHORT = re.compile(r"^(?:t\.me|telegram\.me)/\S+$", re.IGNORECASE)
_DIGITS = re.compile(r"^[0-9]+$")
_GROUPED_DIGITS = re.compile(r"^[1-9][0-9]{0,2}(,[0-9]{3})+$")


def order_reference(order_id: int) -> str:
    """The ledger reference of an order's charge and refund."""
    return f"order:{order_id}"


# Panels name a service's platform in its category ("Telegram Members", "🇷🇺 Telegram Views")
# or, when the category is a grab-bag ("New services", "Cheap"), as the name's first word.
_TELEGRAM_WORD = re.compile(r"(?<![^\W_])telegram(?![^\W_])", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[^\W\d_]+")


def is_telegram_service(service: Service) -> bool:
    """The one rule (README, "What customers see"): the whole word "Telegram", in any case,
    in the service's category, or as the first word of its name."""
    if _TELEGRAM_WORD.search(service.category):
        return True
    first = _FIRST_WORD.search(service.name)
    return first is not None and first.group(0).lower() == "telegram"


def normalize_link(text: str, *, telegram: bool) -> str:
    """A link the panel will accept, or InvalidLinkError.

    http(s) URLs always; for Telegram services also ``t.me/...`` and ``@username``, which are
    sent as ``https://t.me/...`` because that is what panels expect.
    """
    link = text.strip()
    if not link or len(link) > MAX_LINK_LENGTH or any(char.isspace() for char in link):
        raise InvalidLinkError(telegram=telegram)
    if telegram:
        if _TELEGRAM_SHORT.match(link):
            return "https://" + link
        username = _TELEGRAM_USERNAME.match(link)
        if username and link.startswith("@"):
            return f"https://t.me/{username.group(1)}"
    parts = urlsplit(link)
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or "." not in host or host.endswith("."):
        raise InvalidLinkError(telegram=telegram)
    return link


def _whole_number(text: str) -> int | None:
    """A whole number as people type it ("1000", "1 000", "10,000"), or None."""
    cleaned = re.sub(r"[\s_\u00a0\u202f]", "", text)
    if _GROUPED_DIGITS.match(cleaned):
        cleaned = cleaned.replace(",", "")  # "10,000" as the prompts themselves write it
    if not _DIGITS.match(cleaned) or len(cleaned) > 12:
        return None
    return int(cleaned)


def parse_quantity(text: str, minimum: int, maximum: int) -> int:
    """A whole number within the service's bounds; spaces as thousands separators are fine."""
    quantity = _whole_number(text)
    if quantity is None or not minimum <= quantity <= maximum:
        raise InvalidQuantityError(minimum=minimum, maximum=maximum)
    return quantity


def parse_runs(text: str) -> int:
    """How many drip-feed runs: 1 (everything at once) to MAX_RUNS."""
    runs = _whole_number(text)
    if runs is None or not 1 <= runs <= MAX_RUNS:
        raise InvalidRunsError(maximum=MAX_RUNS)
    return runs


def parse_interval(text: str) -> int:
    """Minutes between two drip-feed runs: 1 to MAX_INTERVAL_MINUTES."""
    minutes = _whole_number(text)
    if minutes is None or not 1 <= minutes <= MAX_INTERVAL_MINUTES:
        raise InvalidIntervalError(minimum=1, maximum=MAX_INTERVAL_MINUTES)
    return minutes


def parse_comments(text: str, minimum: int, maximum: int) -> list[str]:
    """One comment per line; the number of lines is the quantity."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    too_long = any(len(line) > MAX_COMMENT_LENGTH for line in lines)
    if too_long or not minimum <= len(lines) <= maximum:
        raise InvalidCommentsError(minimum=minimum, maximum=maximum, count=len(lines))
    return lines


def parse_answer_number(text: str) -> int:
    cleaned = text.strip()
    if not _DIGITS.match(cleaned) or not 1 <= int(cleaned) <= MAX_POLL_ANSWER:
        raise InvalidAnswerNumberError(maximum=MAX_POLL_ANSWER)
    return int(cleaned)


@dataclass(frozen=True, slots=True)
class Quote:
    """What the customer sees on the confirmation card and pays if they confirm.

    Kept in the FSM data (JSON) so a card confirmed after a restart, or after the panel
    changed its price, is charged exactly what the customer saw.
    """

    token: str
    service_id: int
    service_name: str
    service_type: str
    category: str
    rate: str
    refill_allowed: bool
    cancel_allowed: bool
    link: str
    quantity: int | None
    price_micros: int
    extras: dict[str, Any] = field(default_factory=dict)
    # Drip-feed: ``quantity`` is delivered ``runs`` times, ``interval`` minutes apart.
    runs: int | None = None
    interval: int | None = None
    # A pending percent promo taken off ``price_micros`` (bot/services/promotions.py); it is
    # spent in the transaction that charges the order.
    discount_micros: int = 0
    promo_code: str | None = None
    promo_percent: str | None = None

    @property
    def price(self) -> Money:
        return Money(self.price_micros)

    @property
    def discount(self) -> Money:
        return Money(self.discount_micros)

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Quote:
        return cls(**data)

    def new_order(self, upstream_service_id: int) -> NewOrder:
        comments = self.extras.get("comments")
        answer = self.extras.get("answer_number")
        return NewOrder(
            service_id=upstream_service_id,
            link=self.link,
            quantity=None if is_package(self.service_type) else self.quantity,
            runs=self.runs,
            interval=self.interval,
            comments="\n".join(comments) if comments else None,
            answer_number=None if answer is None else str(answer),
        )


def make_quote(
    service: Service,
    pricing: Pricing,
    *,
    link: str,
    quantity: int | None,
    comments: list[str] | None = None,
    answer_number: int | None = None,
    runs: int | None = None,
    interval: int | None = None,
) -> Quote:
    """The price of an order as the customer describes it; drip-feed pays every run."""
    package = is_package(service.type)
    dripfeed = runs is not None and runs > 1 and interval is not None
    price = order_price(
        service.rate,
        quantity or 1,
        pricing.markup_for(service),
        per_package=package,
        runs=runs if dripfeed and runs is not None else 1,
    )
    extras: dict[str, Any] = {}
    if service.type == TYPE_CUSTOM_COMMENTS and comments is not None:
        extras["comments"] = comments
    if service.type == TYPE_POLL and answer_number is not None:
        extras["answer_number"] = answer_number
    return Quote(
        token=secrets.token_urlsafe(12),
        service_id=service.id,
        service_name=service.name,
        service_type=service.type,
        category=service.category,
        rate=str(service.rate),
        refill_allowed=service.refill,
        cancel_allowed=service.cancel,
        link=link,
        quantity=None if package else quantity,
        price_micros=price.micros,
        extras=extras,
        runs=runs if dripfeed else None,
        interval=interval if dripfeed else None,
    )


# How each kind of panel refusal is explained to the customer.
_REFUSAL_MESSAGE_IDS = {
    Refusal.SUPPLIER_FUNDS: "refusal-supplier-funds",
    Refusal.SUPPLIER_SETUP: "refusal-supplier-setup",
    Refusal.ACTIVE_ORDER: "refusal-active-order",
    Refusal.BAD_LINK: "refusal-bad-link",
    Refusal.QUANTITY: "refusal-quantity",
    Refusal.SERVICE: "refusal-service",
    Refusal.OTHER: "refusal-other",
}


def refusal_reason_id(panel_text: str) -> str:
    """The translation that explains a panel refusal in plain words."""
    return _REFUSAL_MESSAGE_IDS[classify_refusal(panel_text)]


@dataclass(frozen=True, slots=True)
class PlacementAlert:
    """Something admins must hear about after a placement attempt."""

    order: Order
    # "unknown" | "supplier_funds" | "supplier_setup" | "panel_refused" (the order moves on)
    kind: str
    detail: str
    # The panel concerned, when the shop has several ("" with one: the messages need no name).
    panel: str = ""


AlertSink = Callable[[PlacementAlert], Awaitable[None]]


async def _log_alert(alert: PlacementAlert) -> None:
    logger.warning("Admin alert (%s) for order %s: %s", alert.kind, alert.order.id, alert.detail)


def serves(member: RouteMember, quote: Quote) -> bool:
    """Whether a panel's service can take the order as quoted: same type, the quantity within
    its bounds, drip-feed when asked, and its cost no more than the customer's price."""
    if member.type != quote.service_type:
        return False
    package = is_package(quote.service_type)
    quantity = quote.quantity or 1
    if not package and not member.min_quantity <= quantity <= member.max_quantity:
        return False
    if quote.runs is not None and not member.dripfeed:
        return False
    cost = panel_cost(member.rate, quantity, per_package=package, runs=quote.runs or 1)
    # A promo discount is the shop's own gift: the guard is against a panel dearer than the
    # price the customer was quoted, before the discount.
    return cost <= quote.price + quote.discount


@dataclass(frozen=True, slots=True)
class _Attempt:
    panel: Panel
    service_id: int  # the panel's own


NO_PANEL_FOR_PRICE = "no panel serves this service at the quoted price now"


class OrderingService:
    def __init__(
        self, repo: Repository, panel: PanelAPI | Panels, alert: AlertSink = _log_alert
    ) -> None:
        self._repo = repo
        self._panels = as_panels(panel)
        self._alert = alert

    async def _raise_alert(self, alert: PlacementAlert) -> None:
        try:
            await self._alert(alert)
        except Exception:  # an alert that fails must not change the customer's outcome
            logger.exception("Could not deliver an admin alert for order %s", alert.order.id)

    def _tag(self, panel: str) -> str:
        """The panel's name for an admin message, when there is more than one panel."""
        if not self._panels.several:
            return ""
        found = self._panels.get(panel)
        return found.name if found is not None else panel

    async def _route(self, quote: Quote) -> list[_Attempt] | None:
        """The panels to try, in order; None when the shop service has no panel service at
        all (a service stored before several panels, never refreshed since: it goes to the
        main panel under its own id, as it always did)."""
        names = [panel.name for panel in self._panels.usable()]
        pinned, members = await self._repo.catalog.members(quote.service_id)
        if not members:
            return None
        attempts: list[_Attempt] = []
        for member in route_order(members, pinned=pinned, panels=names):
            panel = self._panels.get(member.panel)
            if panel is None:
                continue
            if not serves(member, quote):
                logger.info(
                    "Panel %s not used for service %s: it cannot serve the quote (rate %s)",
                    panel.name,
                    quote.service_id,
                    member.rate,
                )
                continue
            attempts.append(_Attempt(panel, member.service_id))
        return attempts

    async def place(self, user_id: int, quote: Quote) -> Order:
        """Charge the customer and place the order (see :meth:`_place`).

        Under a claim on the confirmation for the whole placement: with several workers, the
        leader tells an order a live worker is placing from one whose worker died.
        """
        async with self._repo.database.claim(placement_claim(quote.token)):
            return await self._place(user_id, quote)

    async def _place(self, user_id: int, quote: Quote) -> Order:
        """Charge the customer and place the order with the first panel of its route that
        takes it.

        The charge and the order row commit together before any panel is called, so a crash
        can never leave money taken without an order (an order still ``placing`` after a
        restart is turned ``unknown`` for an admin). Each panel's outcome decides the rest:
        placed → tracked; refused in words or provably not sent → the next panel of the route
        (only its panel fields change), and when none is left, failed and refunded once;
        anything ambiguous → ``unknown`` on that panel, never sent anywhere else.
        """
        route = await self._route(quote)
        if route is None:
            route = [_Attempt(self._panels.main, quote.service_id)]
        first = route[0] if route else _Attempt(self._panels.main, quote.service_id)
        draft = OrderDraft(
            user_id=user_id,
            confirm_token=quote.token,
            service_id=quote.service_id,
            service_name=quote.service_name,
            service_type=quote.service_type,
            category=quote.category,
            rate=Decimal(quote.rate),
            refill_allowed=quote.refill_allowed,
            cancel_allowed=quote.cancel_allowed,
            link=quote.link,
            quantity=quote.quantity,
            price=quote.price,
            extras=quote.extras,
            runs=quote.runs,
            interval=quote.interval,
            panel=first.panel.name,
            panel_service_id=first.service_id,
        )
        try:
            async with self._repo.database.transaction():
                order_id = await self._repo.orders.create(draft)
                if quote.promo_code is not None and not await self._repo.promos.consume_discount(
                    user_id, quote.promo_code, order_id
                ):
                    raise PromoDiscountUsedError()  # spent on another order: nothing is charged
                await self._repo.ledger.post(
                    user_id,
                    EntryKind.ORDER_CHARGE,
                    -quote.price,
                    reference=order_reference(order_id),
                )
        except DuplicateOrderError:
            raise OrderAlreadyPlacedError() from None
        except InsufficientBalanceError:
            balance = await self._repo.ledger.balance(user_id)
            raise NotEnoughBalanceError(missing=quote.price - balance, balance=balance) from None

        if not route:
            await self.fail_and_refund(order_id, NO_PANEL_FOR_PRICE)
            raise OrderRefusedError(
                order_id=order_id,
                reason_id="refusal-no-panel",
                detail=NO_PANEL_FOR_PRICE,
                price=quote.price,
            )
        last: UpstreamError | None = None
        current = first
        for attempt in route:
            if attempt is not first:
                moved = await self._repo.orders.move_to_panel(
                    order_id, current.panel.name, attempt.panel.name, attempt.service_id
                )
                if not moved:  # pragma: no cover - nothing else touches a placing order
                    raise OrderOutcomeUnknownError(order_id=order_id)
                current = attempt
                logger.info("Order %s goes to panel %s", order_id, attempt.panel.name)
            try:
                upstream_id = await attempt.panel.api.add(quote.new_order(attempt.service_id))
            except (PanelRefusedError, PanelUnreachableError) as error:
                last = error
                if attempt is not route[-1]:
                    await self._moving_on(order_id, attempt.panel.name, error)
                continue
            except PanelOutcomeUnknownError as error:
                await self._become_unknown(order_id, error.detail)
                raise OrderOutcomeUnknownError(order_id=order_id) from None
            return await self._placed(order_id, upstream_id)
        assert last is not None
        return await self._all_refused(order_id, quote, last)

    async def _moving_on(self, order_id: int, panel: str, error: UpstreamError) -> None:
        """A panel did not take the order and another will try: admins hear of a panel out
        of funds or refusing its key, since it will refuse every order."""
        logger.warning("Order %s: panel %s did not take it (%r)", order_id, panel, error)
        if isinstance(error, PanelRefusedError) and error.refusal in (
            Refusal.SUPPLIER_FUNDS,
            Refusal.SUPPLIER_SETUP,
        ):
            order = await self._require(order_id)
            await self._raise_alert(PlacementAlert(order, "panel_refused", error.detail, panel))

    async def _all_refused(self, order_id: int, quote: Quote, error: UpstreamError) -> Order:
        """No panel took the order: refund once, with the last panel's reason."""
        order = await self.fail_and_refund(order_id, error.detail)
        if isinstance(error, PanelUnreachableError):
            raise PanelUnavailableError(order_id=order_id, price=quote.price)
        assert isinstance(error, PanelRefusedError)
        tag = self._tag(order.panel)
        refusal = error.refusal
        if refusal is Refusal.SUPPLIER_FUNDS:
            await self._raise_alert(PlacementAlert(order, "supplier_funds", error.detail, tag))
        elif refusal is Refusal.SUPPLIER_SETUP:
            await self._raise_alert(PlacementAlert(order, "supplier_setup", error.detail, tag))
        raise OrderRefusedError(
            order_id=order_id,
            reason_id=_REFUSAL_MESSAGE_IDS[refusal],
            detail=error.detail,
            price=quote.price,
        )

    async def _placed(self, order_id: int, upstream_id: int) -> Order:
        try:
            await self._repo.orders.mark_placed(order_id, upstream_id, STATUS_PENDING)
        except DuplicateUpstreamIdError:
            # The panel named an order we already track: this one may or may not exist there.
            await self._become_unknown(
                order_id, f"the panel answered with order id {upstream_id}, already another order's"
            )
            raise OrderOutcomeUnknownError(order_id=order_id) from None
        order = await self._require(order_id)
        logger.info(
            "Order %s placed upstream as %s on panel %s", order_id, upstream_id, order.panel
        )
        return order

    async def _become_unknown(self, order_id: int, detail: str) -> None:
        """The add's outcome is unknown: keep the charge, list it for an admin, tell them now."""
        await self._repo.orders.mark_unknown(order_id, detail)
        order = await self._require(order_id)
        await self._raise_alert(PlacementAlert(order, "unknown", detail, self._tag(order.panel)))
        logger.warning("Order %s: outcome of the panel's add is unknown: %s", order_id, detail)

    async def fail_and_refund(self, order_id: int, reason: str) -> Order:
        """Mark a not-placed order failed and give the money back, exactly once."""
        async with self._repo.database.transaction():
            order = await self._require(order_id)
            changed = await self._repo.orders.mark_failed(order_id, reason)
            reference = order_reference(order_id)
            if changed and not await self._repo.ledger.exists(EntryKind.ORDER_REFUND, reference):
                await self._repo.ledger.post(
                    order.user_id, EntryKind.ORDER_REFUND, order.price, reference=reference
                )
                # A promo discount this order spent waits for the next order again.
                await self._repo.promos.restore_discount(order_id)
        return await self._require(order_id)

    async def settle_placed(
        self, order_id: int, upstream_id: int, panel: str | None = None
    ) -> Order:
        """An admin found the order on the panel (the one it was sent to, unless ``panel``
        names another): track it from now on and tell the user.

        That panel is asked about ``upstream_id`` first: an id it refuses (a typo, another
        shop's order) raises PanelOrderNotFoundError, and a panel that does not answer
        PanelCheckUnavailableError; nothing changes then.
        """
        order = await self._require(order_id)
        if order.status != UNKNOWN:
            raise OrderNotUnknownError(order_id=order_id, status=order.status)
        if panel is None:
            # The panel it was sent to, by its name (orders from before panels have none).
            sent_to = self._panels.get(order.panel)
            panel = order.panel if sent_to is None else sent_to.name
        on_panel = self._panels.get(panel)
        if on_panel is None:
            raise PanelCheckUnavailableError(upstream_id=str(upstream_id))
        try:
            await on_panel.api.status(upstream_id)
        except PanelRefusedError as error:
            raise PanelOrderNotFoundError(
                order_id=order_id, upstream_id=str(upstream_id), detail=error.detail
            ) from None
        except UpstreamError as error:
            logger.warning("Could not check panel order %s for /settle: %s", upstream_id, error)
            raise PanelCheckUnavailableError(upstream_id=str(upstream_id)) from None
        async with self._repo.database.transaction():
            order = await self._require(order_id)
            if order.status != UNKNOWN:
                raise OrderNotUnknownError(order_id=order_id, status=order.status)
            try:
                await self._repo.orders.mark_placed(
                    order_id, upstream_id, STATUS_PENDING, panel=panel
                )
            except DuplicateUpstreamIdError:
                raise PanelIdTakenError(upstream_id=str(upstream_id)) from None
            await self._repo.outbox.add(
                order.user_id,
                NOTIFY_ORDER_SETTLED,
                f"order:{order_id}:settled",
                {"order_id": order_id, "outcome": "placed", "refund_micros": 0},
            )
        return await self._require(order_id)

    async def settle_failed(self, order_id: int) -> Order:
        """An admin found no such order on the panel: refund once and tell the user."""
        async with self._repo.database.transaction():
            order = await self._require(order_id)
            if order.status != UNKNOWN:
                raise OrderNotUnknownError(order_id=order_id, status=order.status)
            await self.fail_and_refund(order_id, "settled by an admin: not on the panel")
            await self._repo.outbox.add(
                order.user_id,
                NOTIFY_ORDER_SETTLED,
                f"order:{order_id}:settled",
                {"order_id": order_id, "outcome": "failed", "refund_micros": order.price.micros},
            )
        return await self._require(order_id)

    async def recover_interrupted(self) -> list[Order]:
        """Orders still ``placing`` that no live process is placing (at start-up: all of them;
        with several workers, those whose worker died): the add may have been sent."""
        placing = await self._repo.orders.with_status(PLACING, limit=10_000)
        database = self._repo.database
        recovered: list[Order] = []
        for order in placing:
            if await database.claimed(placement_claim(order.confirm_token)):
                continue  # a live worker is placing it right now
            if await self._repo.orders.mark_unknown(order.id, "interrupted by a restart"):
                refreshed = await self._require(order.id)
                recovered.append(refreshed)
                await self._raise_alert(
                    PlacementAlert(
                        refreshed, "unknown", "interrupted by a restart", self._tag(order.panel)
                    )
                )
        return recovered

    async def _require(self, order_id: int) -> Order:
        order = await self._repo.orders.get(order_id)
        if order is None:  # an id an admin typed, or a row that vanished
            raise OrderNotFoundError(order_id=order_id)
        return order


def placement_claim(confirm_token: str) -> str:
    """The claim a process holds while it places the order of this confirmation."""
    return f"placement:{confirm_token}"


__all__ = [
    "FAILED",
    "OrderingService",
    "PlacementAlert",
    "Quote",
    "make_quote",
    "normalize_link",
    "parse_answer_number",
    "parse_comments",
    "parse_interval",
    "parse_quantity",
    "parse_runs",
    "refusal_reason_id",
]
