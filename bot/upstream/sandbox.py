"""A simulated SMM panel for ``SMM_API_URL=demo``: try the storefront with only a bot token.

:class:`SandboxPanel` implements :class:`~bot.upstream.types.PanelAPI` like the HTTP client, with
a small fixed catalog, the validation and error texts of a real panel and a balance that orders
are charged to. Nothing runs in the background: an order's status is computed from the clock
and the time it was placed, so the same state always reads the same way at the same moment.

Timing (deterministic per id, so a demo behaves the same after a restart):

- an order is ``Pending`` for 20–40 s, then ``In progress`` for 2–5 minutes (``start_count``
  set, ``remains`` falling in proportion to the elapsed time), then ``Completed``; about 15 %
  of orders (chosen by id) end ``Partial`` with 10–40 % undelivered, refunded to the balance;
- a cancel request freezes the order where it is and makes it ``Canceled`` (fully refunded)
  10 s later, as a real panel takes a moment to process it;
- a refill is ``Pending`` for 30 s, ``In progress`` for 1–2 minutes, then ``Completed``.

The balance is never stored as a running total: it is the starting balance minus what every
order costs at this moment (its full charge, less the refund once it is Partial or Canceled),
so a refund cannot be applied twice or forgotten across a restart.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, TypeVar

from bot.upstream.errors import PanelRefusedError
from bot.upstream.types import (
    STATUS_CANCELED,
    STATUS_COMPLETED,
    STATUS_IN_PROGRESS,
    STATUS_PARTIAL,
    STATUS_PENDING,
    TYPE_CUSTOM_COMMENTS,
    TYPE_DEFAULT,
    TYPE_PACKAGE,
    TYPE_POLL,
    ItemError,
    NewOrder,
    OrderStatus,
    PanelBalance,
    PanelService,
)

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

CURRENCY = "USD"
FIRST_ORDER_ID = 100001
FIRST_REFILL_ID = 20001
_STATE_VERSION = 1

# Order timing, in seconds; see the module docstring.
_PENDING_MIN_SECONDS = 20
_PENDING_SPREAD_SECONDS = 20
_DELIVERY_MIN_SECONDS = 120
_DELIVERY_SPREAD_SECONDS = 180
_CANCEL_DELAY_SECONDS = 10
_REFILL_PENDING_SECONDS = 30
_REFILL_WORK_MIN_SECONDS = 60
_REFILL_WORK_SPREAD_SECONDS = 60
# Order ids whose remainder modulo 20 is listed end Partial: 3 in 20 = 15 %.
_PARTIAL_SLOTS = frozenset({3, 9, 16})
# A refund is rounded down to the micro-unit, so it never exceeds what was charged.
_REFUND_QUANTUM = Decimal("0.000001")

# Error texts as real panels send them.
ERROR_INCORRECT_SERVICE = "Incorrect service ID"
ERROR_INCORRECT_REQUEST = "Incorrect request"
ERROR_BAD_LINK = "Bad link"
ERROR_NOT_ENOUGH_FUNDS = "Not enough funds on balance"
ERROR_INCORRECT_ORDER = "Incorrect order ID"
ERROR_REFILL_NOT_FOUND = "Refill not found"
ERROR_REFILL_DISABLED = "Refill is disabled for this service"
ERROR_REFILL_NOT_COMPLETED = "Refill is available only for completed orders"
ERROR_REFILL_ACTIVE = "Refill request is already in progress"
ERROR_CANCEL_DISABLED = "Cancel is disabled for this service"
ERROR_CANCEL_FINAL = "Order cannot be canceled"

# What a real panel accepts as a link: a web address, a t.me path or an @username.
_LINK = re.compile(
    r"^(?:https?://[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?|(?:www\.)?t\.me/\S+|@\w{3,})$",
    re.IGNORECASE,
)


def _service(
    service_id: int,
    category: str,
    name: str,
    service_type: str,
    rate: str,
    min_quantity: int,
    max_quantity: int,
    description: str,
    *,
    refill: bool = False,
    cancel: bool = False,
    dripfeed: bool = False,
) -> PanelService:
    return PanelService(
        service_id=service_id,
        name=name,
        type=service_type,
        category=category,
        rate=Decimal(rate),
        min_quantity=min_quantity,
        max_quantity=max_quantity,
        refill=refill,
        cancel=cancel,
        dripfeed=dripfeed,
        description=description,
    )


_INSTAGRAM = "Instagram"
_TELEGRAM = "Telegram"
_YOUTUBE = "YouTube"
_TIKTOK = "TikTok"
_TWITTER = "X (Twitter)"
# Types a real panel offers that the storefront cannot order; they must be hidden from users.
_TYPE_SUBSCRIPTIONS = "Subscriptions"
_TYPE_MENTIONS_HASHTAGS = "Mentions with Hashtags"

CATALOG: tuple[PanelService, ...] = (
    _service(
        101, _INSTAGRAM, "Instagram Followers [Real, 30 days refill]", TYPE_DEFAULT,
        "1.20", 50, 10000,
        "Start: 0–1 hour\nSpeed: 2–5K per day\nRefill: 30 days\n"
        "Link: profile URL, the account must be public",
        refill=True, cancel=True,
    ),
    _service(
        102, _INSTAGRAM, "Instagram Likes [Instant, No refill]", TYPE_DEFAULT,
        "0.12", 10, 50000,
        "Start: instant\nSpeed: up to 20K per day\nNo refill, drops possible\nLink: post URL",
        dripfeed=True,
    ),
    _service(
        103, _INSTAGRAM, "Instagram Reel Views [Fast]", TYPE_DEFAULT,
        "0.01853", 100, 1000000,
        "Start: 0–15 minutes\nSpeed: 100K per day\nLink: reel URL",
        cancel=True, dripfeed=True,
    ),
    _service(
        104, _INSTAGRAM, "Instagram Custom Comments [Real accounts]", TYPE_CUSTOM_COMMENTS,
        "8.50", 5, 500,
        "Start: 1–3 hours\nOne comment per line, no links\nLink: post URL",
    ),
    _service(
        105, _INSTAGRAM, "Instagram Starter Package [1000 Followers + 500 Likes]", TYPE_PACKAGE,
        "9.90", 1, 1,
        "1000 followers to the profile and 500 likes spread over the last 5 posts\n"
        "Link: profile URL",
    ),
    _service(
        106, _INSTAGRAM, "Instagram Mentions [Hashtag targeted]", _TYPE_MENTIONS_HASHTAGS,
        "4.20", 1000, 100000,
        "Mentions users who posted with the given hashtags\nNeeds usernames and hashtags",
    ),
    _service(
        201, _TELEGRAM, "Telegram Channel Members [Real, 30 days refill]", TYPE_DEFAULT,
        "1.85", 100, 20000,
        "Start: 0–2 hours\nSpeed: 5K per day\nRefill: 30 days\n"
        "Link: public channel or group (t.me/name or @name)",
        refill=True, cancel=True,
    ),
    _service(
        202, _TELEGRAM, "Telegram Post Views [Last 1 post]", TYPE_DEFAULT,
        "0.02390", 100, 100000,
        "Start: instant\nSpeed: 50K per day\nLink: post URL (t.me/channel/123)",
        dripfeed=True,
    ),
    _service(
        203, _TELEGRAM, "Telegram Post Reactions [Positive mix]", TYPE_DEFAULT,
        "0.45", 50, 20000,
        "Start: 0–30 minutes\nA mix of positive reactions\nLink: post URL",
        cancel=True,
    ),
    _service(
        204, _TELEGRAM, "Telegram Poll Votes", TYPE_POLL,
        "0.95", 50, 10000,
        "Start: 0–1 hour\nLink: post with the poll\nAnswer number: 1 for the first option",
    ),
    _service(
        205, _TELEGRAM, "Telegram Auto Views [Future posts, 30 days]", _TYPE_SUBSCRIPTIONS,
        "0.03", 100, 50000,
        "Views on every new post for 30 days\nNeeds username, posts count and expiry",
    ),
    _service(
        301, _YOUTUBE, "YouTube Views [Non-drop, Lifetime refill]", TYPE_DEFAULT,
        "2.40", 500, 1000000,
        "Start: 0–6 hours\nSpeed: 10–20K per day\nRefill: lifetime\nLink: video URL",
        refill=True, cancel=True, dripfeed=True,
    ),
    _service(
        302, _YOUTUBE, "YouTube Likes [30 days refill]", TYPE_DEFAULT,
        "3.15", 20, 20000,
        "Start: 0–1 hour\nSpeed: 1–2K per day\nRefill: 30 days\nLink: video URL",
        refill=True,
    ),
    _service(
        303, _YOUTUBE, "YouTube Subscribers [Real, 30 days refill]", TYPE_DEFAULT,
        "18.90", 50, 5000,
        "Start: 0–12 hours\nSpeed: 100–300 per day\nRefill: 30 days\nLink: channel URL",
        refill=True, cancel=True,
    ),
    _service(
        304, _YOUTUBE, "YouTube Custom Comments", TYPE_CUSTOM_COMMENTS,
        "24.00", 5, 1000,
        "Start: 1–6 hours\nOne comment per line\nLink: video URL",
    ),
    _service(
        305, _YOUTUBE, "YouTube Watch Time Package [4000 hours]", TYPE_PACKAGE,
        "39.00", 1, 1,
        "4000 hours of watch time for monetization, delivered over 7–15 days\n"
        "Link: a public video longer than 60 minutes",
    ),
    _service(
        401, _TIKTOK, "TikTok Followers [30 days refill]", TYPE_DEFAULT,
        "2.75", 100, 50000,
        "Start: 0–1 hour\nSpeed: 5–10K per day\nRefill: 30 days\nLink: profile URL",
        refill=True, cancel=True,
    ),
    _service(
        402, _TIKTOK, "TikTok Video Views [Instant]", TYPE_DEFAULT,
        "0.00890", 1000, 10000000,
        "Start: instant\nSpeed: 1M per day\nLink: video URL",
        dripfeed=True,
    ),
    _service(
        403, _TIKTOK, "TikTok Likes [Real]", TYPE_DEFAULT,
        "0.60", 50, 100000,
        "Start: 0–30 minutes\nSpeed: 10K per day\nLink: video URL",
        cancel=True,
    ),
    _service(
        404, _TIKTOK, "TikTok Custom Comments", TYPE_CUSTOM_COMMENTS,
        "12.50", 5, 300,
        "Start: 0–2 hours\nOne comment per line\nLink: video URL",
    ),
    _service(
        501, _TWITTER, "X (Twitter) Followers [No refill]", TYPE_DEFAULT,
        "4.80", 100, 10000,
        "Start: 0–3 hours\nSpeed: 1K per day\nNo refill\nLink: profile URL",
    ),
    _service(
        502, _TWITTER, "X (Twitter) Retweets [30 days refill]", TYPE_DEFAULT,
        "3.60", 20, 5000,
        "Start: 0–1 hour\nSpeed: 2K per day\nRefill: 30 days\nLink: post URL",
        refill=True,
    ),
    _service(
        503, _TWITTER, "X (Twitter) Poll Votes", TYPE_POLL,
        "1.40", 100, 50000,
        "Start: 0–1 hour\nLink: post with the poll\nAnswer number: 1 for the first option",
    ),
    _service(
        504, _TWITTER, "X (Twitter) Launch Package [500 Followers + 5000 Impressions]",
        TYPE_PACKAGE, "6.50", 1, 1,
        "500 followers and 5000 impressions on the pinned post\nLink: profile URL",
    ),
)  # fmt: skip
_SERVICES_BY_ID = {service.service_id: service for service in CATALOG}


@dataclass(slots=True)
class _Order:
    order_id: int
    service_id: int
    link: str
    total: int  # units to deliver: quantity × runs, or 1 for a package
    charge: Decimal
    created_at: float
    cancel_requested_at: float | None = None

    @property
    def _undeliverable(self) -> int:
        """What a Partial order never delivers: 10–40 % of it, for 3 ids in 20."""
        if self.order_id % 20 not in _PARTIAL_SLOTS or self.total < 2:
            return 0
        return max(1, self.total * (10 + self.order_id % 31) // 100)

    @property
    def _started_at(self) -> float:
        """When delivery begins: 20–40 s after the order was placed."""
        pending = _PENDING_MIN_SECONDS + self.order_id % (_PENDING_SPREAD_SECONDS + 1)
        return self.created_at + pending

    def status_at(self, now: float) -> OrderStatus:
        if self.cancel_requested_at is not None:
            if now >= self.cancel_requested_at + _CANCEL_DELAY_SECONDS:
                return self._status(
                    STATUS_CANCELED, Decimal(0), self.total, self.cancel_requested_at
                )
            # Frozen where it was when the cancel was asked for, until the cancel goes through.
            now = min(now, self.cancel_requested_at)
        if now < self._started_at:
            return self._status(STATUS_PENDING, self.charge, self.total, now)
        duration = _DELIVERY_MIN_SECONDS + self.order_id * 53 % (_DELIVERY_SPREAD_SECONDS + 1)
        deliverable = self.total - self._undeliverable
        if now < self._started_at + duration:
            delivered = int(deliverable * (now - self._started_at) / duration)
            return self._status(STATUS_IN_PROGRESS, self.charge, self.total - delivered, now)
        if self._undeliverable:
            refund = (self.charge * self._undeliverable / self.total).quantize(
                _REFUND_QUANTUM, rounding=ROUND_DOWN
            )
            return self._status(STATUS_PARTIAL, self.charge - refund, self._undeliverable, now)
        return self._status(STATUS_COMPLETED, self.charge, 0, now)

    def _status(self, status: str, charge: Decimal, remains: int, now: float) -> OrderStatus:
        # Looks like the count the link already had when delivery began.
        start_count = 120 + self.order_id * 7919 % 20000 if now >= self._started_at else None
        return OrderStatus(
            status=status,
            charge=charge,
            start_count=start_count,
            remains=remains,
            currency=CURRENCY,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "order": self.order_id,
            "service": self.service_id,
            "link": self.link,
            "total": self.total,
            "charge": str(self.charge),
            "created_at": self.created_at,
            "cancel_requested_at": self.cancel_requested_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Order:
        cancel_requested_at = data["cancel_requested_at"]
        return cls(
            order_id=int(data["order"]),
            service_id=int(data["service"]),
            link=str(data["link"]),
            total=int(data["total"]),
            charge=Decimal(str(data["charge"])),
            created_at=float(data["created_at"]),
            cancel_requested_at=None if cancel_requested_at is None else float(cancel_requested_at),
        )


@dataclass(slots=True)
class _Refill:
    refill_id: int
    order_id: int
    created_at: float

    def status_at(self, now: float) -> str:
        elapsed = now - self.created_at
        if elapsed < _REFILL_PENDING_SECONDS:
            return STATUS_PENDING
        work = _REFILL_WORK_MIN_SECONDS + self.refill_id % (_REFILL_WORK_SPREAD_SECONDS + 1)
        if elapsed < _REFILL_PENDING_SECONDS + work:
            return STATUS_IN_PROGRESS
        return STATUS_COMPLETED

    def to_json(self) -> dict[str, Any]:
        return {"refill": self.refill_id, "order": self.order_id, "created_at": self.created_at}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Refill:
        return cls(
            refill_id=int(data["refill"]),
            order_id=int(data["order"]),
            created_at=float(data["created_at"]),
        )


class SandboxPanel:
    """The demo panel: same interface as the HTTP client, state kept in memory or a JSON file."""

    def __init__(
        self,
        *,
        state_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        starting_balance: Decimal = Decimal("1000"),
    ) -> None:
        self._state_path = state_path
        self._clock = clock
        self._starting_balance = starting_balance
        self._orders: dict[int, _Order] = {}
        self._refills: dict[int, _Refill] = {}
        if state_path is not None:
            self._load(state_path)

    async def services(self) -> list[PanelService]:
        return list(CATALOG)

    async def add(self, order: NewOrder) -> int:
        service = _SERVICES_BY_ID.get(order.service_id)
        if service is None:
            raise PanelRefusedError(ERROR_INCORRECT_SERVICE, action="add")
        total, charge = _price(service, order)
        now = self._clock()
        if charge > self._balance_at(now):
            raise PanelRefusedError(ERROR_NOT_ENOUGH_FUNDS, action="add")
        order_id = max(self._orders, default=FIRST_ORDER_ID - 1) + 1
        self._orders[order_id] = _Order(
            order_id=order_id,
            service_id=service.service_id,
            link=order.link.strip(),
            total=total,
            charge=charge,
            created_at=now,
        )
        self._save()
        return order_id

    async def status(self, order_id: int) -> OrderStatus:
        return _single(await self.statuses([order_id]), order_id, "status")

    async def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus | ItemError]:
        now = self._clock()
        results: dict[int, OrderStatus | ItemError] = {}
        for order_id in order_ids:
            order = self._orders.get(order_id)
            results[order_id] = (
                ItemError(ERROR_INCORRECT_ORDER) if order is None else order.status_at(now)
            )
        return results

    async def refill(self, order_id: int) -> int:
        return _single(await self.refills([order_id]), order_id, "refill")

    async def refills(self, order_ids: list[int]) -> dict[int, int | ItemError]:
        now = self._clock()
        results: dict[int, int | ItemError] = {}
        for order_id in order_ids:
            refusal = self._refill_refusal(order_id, now)
            if refusal is not None:
                results[order_id] = ItemError(refusal)
                continue
            refill_id = max(self._refills, default=FIRST_REFILL_ID - 1) + 1
            self._refills[refill_id] = _Refill(refill_id, order_id, now)
            results[order_id] = refill_id
        if any(isinstance(result, int) for result in results.values()):
            self._save()
        return results

    async def refill_status(self, refill_id: int) -> str:
        return _single(await self.refill_statuses([refill_id]), refill_id, "refill_status")

    async def refill_statuses(self, refill_ids: list[int]) -> dict[int, str | ItemError]:
        now = self._clock()
        results: dict[int, str | ItemError] = {}
        for refill_id in refill_ids:
            refill = self._refills.get(refill_id)
            results[refill_id] = (
                ItemError(ERROR_REFILL_NOT_FOUND) if refill is None else refill.status_at(now)
            )
        return results

    async def cancel(self, order_ids: list[int]) -> dict[int, ItemError | None]:
        now = self._clock()
        results: dict[int, ItemError | None] = {}
        changed = False
        for order_id in order_ids:
            order = self._orders.get(order_id)
            service = None if order is None else _SERVICES_BY_ID.get(order.service_id)
            if order is None:
                results[order_id] = ItemError(ERROR_INCORRECT_ORDER)
            elif service is None or not service.cancel:
                results[order_id] = ItemError(ERROR_CANCEL_DISABLED)
            elif order.status_at(now).is_final:
                results[order_id] = ItemError(ERROR_CANCEL_FINAL)
            else:
                # Asking again while the first request goes through is accepted, as panels do.
                if order.cancel_requested_at is None:
                    order.cancel_requested_at = now
                    changed = True
                results[order_id] = None
        if changed:
            self._save()
        return results

    async def balance(self) -> PanelBalance:
        return PanelBalance(amount=self._balance_at(self._clock()), currency=CURRENCY)

    async def aclose(self) -> None:
        """Nothing to release: the state is written after every change."""

    def _balance_at(self, now: float) -> Decimal:
        spent = sum(
            (order.status_at(now).charge or Decimal(0) for order in self._orders.values()),
            Decimal(0),
        )
        return self._starting_balance - spent

    def _refill_refusal(self, order_id: int, now: float) -> str | None:
        """The panel's reason to refuse a refill of this order, or None to accept it."""
        order = self._orders.get(order_id)
        if order is None:
            return ERROR_INCORRECT_ORDER
        service = _SERVICES_BY_ID.get(order.service_id)
        if service is None or not service.refill:
            return ERROR_REFILL_DISABLED
        if order.status_at(now).status != STATUS_COMPLETED:
            return ERROR_REFILL_NOT_COMPLETED
        for refill in self._refills.values():
            if refill.order_id == order_id and refill.status_at(now) != STATUS_COMPLETED:
                return ERROR_REFILL_ACTIVE
        return None

    def _load(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        try:
            data = json.loads(text)
            if data["version"] != _STATE_VERSION:
                raise ValueError(f"unknown state version {data['version']!r}")
            starting_balance = Decimal(str(data["starting_balance"]))
            orders = [_Order.from_json(item) for item in data["orders"]]
            refills = [_Refill.from_json(item) for item in data["refills"]]
        except (ValueError, KeyError, TypeError, ArithmeticError) as error:
            # Demo data only: keep the unreadable file for a look and start afresh.
            aside = path.with_name(path.name + ".unreadable")
            os.replace(path, aside)
            logger.warning("Sandbox state %s unreadable (%s), moved to %s", path, error, aside)
            return
        self._starting_balance = starting_balance
        self._orders = {order.order_id: order for order in orders}
        self._refills = {refill.refill_id: refill for refill in refills}

    def _save(self) -> None:
        """Write the whole state atomically, so a crash leaves the old file or the new one."""
        if self._state_path is None:
            return
        state = {
            "version": _STATE_VERSION,
            "starting_balance": str(self._starting_balance),
            "orders": [order.to_json() for order in self._orders.values()],
            "refills": [refill.to_json() for refill in self._refills.values()],
        }
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._state_path.with_name(self._state_path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as file:
            json.dump(state, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self._state_path)


def _price(service: PanelService, order: NewOrder) -> tuple[int, Decimal]:
    """Validate an order as a real panel does; return the units to deliver and the charge."""
    if service.type == TYPE_PACKAGE:
        quantity, runs = 1, 1
    elif service.type == TYPE_CUSTOM_COMMENTS:
        lines = [line for line in (order.comments or "").splitlines() if line.strip()]
        if not lines:
            raise PanelRefusedError(ERROR_INCORRECT_REQUEST, action="add")
        quantity, runs = len(lines), 1
    elif service.type in (TYPE_DEFAULT, TYPE_POLL):
        if order.quantity is None:
            raise PanelRefusedError(ERROR_INCORRECT_REQUEST, action="add")
        if service.type == TYPE_POLL and not (order.answer_number or "").strip().isdigit():
            raise PanelRefusedError(ERROR_INCORRECT_REQUEST, action="add")
        quantity, runs = order.quantity, _runs(service, order)
    else:
        # Subscriptions, Mentions…: their parameters (usernames, hashtags, expiry) have no
        # place in NewOrder, so a request for them always lacks something.
        raise PanelRefusedError(ERROR_INCORRECT_REQUEST, action="add")
    if not _LINK.match(order.link.strip()):
        raise PanelRefusedError(ERROR_BAD_LINK, action="add")
    if quantity < service.min_quantity:
        raise PanelRefusedError(f"Quantity less than minimal {service.min_quantity}", action="add")
    if quantity > service.max_quantity:
        raise PanelRefusedError(f"Quantity more than maximum {service.max_quantity}", action="add")
    if service.type == TYPE_PACKAGE:
        return 1, service.rate
    return quantity * runs, service.rate * quantity * runs / 1000


def _runs(service: PanelService, order: NewOrder) -> int:
    """Drip-feed runs (1 without drip-feed); both runs and interval, only where offered."""
    if order.runs is None and order.interval is None:
        return 1
    if (
        not service.dripfeed
        or order.runs is None
        or order.interval is None
        or order.runs < 1
        or order.interval < 1
    ):
        raise PanelRefusedError(ERROR_INCORRECT_REQUEST, action="add")
    return order.runs


def _single(results: Mapping[int, _T | ItemError], item_id: int, action: str) -> _T:
    """The single-id form of a batch call: an item error becomes the panel's refusal."""
    result = results[item_id]
    if isinstance(result, ItemError):
        raise PanelRefusedError(result.message, action=action)
    return result
