"""A fake Standard SMM API v2 panel served over real HTTP on 127.0.0.1, for tests and benchmarks.

State lives in dicts keyed by id, so it stays O(1) per order at 100,000 orders; nothing sleeps
unless ``latency`` or a ``"slow"`` fault asks for it.

Fault injection (:meth:`FakePanel.fail_next`) follows one rule that mirrors real panels:
*refusal* kinds (``error:...``, ``error500:...``) replace the answer and change nothing, every
other kind runs the action first and then spoils the reply, which is exactly the ambiguous case
(an ``add`` hit by ``html502``, ``truncated``, ``empty``, ``slow`` or ``drop`` did create the
order). Cancel requests cancel at once by default (status ``Canceled``, charge refunded); with
``cancel_immediately=False`` they are only recorded in ``FakeOrder.cancel_requested``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.testing.loopback import serve

DEFAULT_API_KEY = "fake-panel-key-7c1e93b0d5a4f2e6"
BATCH_LIMIT = 100
API_PATH = "/api/v2"

PENDING = "Pending"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"
PARTIAL = "Partial"
CANCELED = "Canceled"
FINAL = frozenset({COMPLETED, PARTIAL, CANCELED})

HTML_502 = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center>{extra}</body></html>"
)
_LINK_PREFIXES = ("http://", "https://", "t.me/", "@")
_SPOILING_KINDS = frozenset({"truncated", "empty", "slow", "drop"})
_KIND_HTML = re.compile(r"^html(\d{3})(?::(.*))?$", re.DOTALL)
_KIND_ERROR = re.compile(r"^error(\d{3})?:(.*)$", re.DOTALL)
_KIND_RAW = re.compile(r"^raw(\d{3}):(.*)$", re.DOTALL)

Json = Any


@dataclass
class FakeService:
    service_id: int
    name: str
    type: str
    category: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    description: str = ""


@dataclass
class FakeOrder:
    order_id: int
    service_id: int
    link: str
    quantity: int
    charge: Decimal
    params: dict[str, str] = field(default_factory=dict)
    status: str = PENDING
    remains: int | str | None = None  # None: sent as the quantity; a str is sent as is
    start_count: int | None = 0
    refunded: Decimal = Decimal(0)
    cancel_requested: bool = False


@dataclass
class FakeRefill:
    refill_id: int
    order_id: int
    status: str = PENDING


def default_services() -> dict[int, FakeService]:
    """A small catalog across categories and types, like a real panel's first page."""
    services = [
        FakeService(1, "Instagram Followers [Refill 30d]", "Default", "Instagram",
                    Decimal("0.90"), 50, 10000, refill=True, cancel=True, dripfeed=True),
        FakeService(2, "Instagram Likes", "Default", "Instagram",
                    Decimal("0.12"), 10, 5000, dripfeed=True),
        FakeService(3, "Telegram Members Package 1000", "Package", "Telegram",
                    Decimal("4.5"), 1, 1),
        FakeService(4, "Instagram Custom Comments", "Custom Comments", "Instagram",
                    Decimal("12.00"), 5, 500, cancel=True),
        FakeService(5, "Telegram Poll Votes", "Poll", "Telegram", Decimal("0.75"), 100, 100000),
        FakeService(6, "Instagram Auto Likes Subscription", "Subscriptions", "Instagram",
                    Decimal("1.5"), 50, 5000),
        FakeService(7, "YouTube Views [Non Drop]", "Default", "YouTube",
                    Decimal("1.27819"), 100, 1000000, refill=True),
    ]  # fmt: skip
    return {service.service_id: service for service in services}


class FakePanel:
    """The panel: ``async with FakePanel() as panel: HttpPanelClient(panel.url, panel.api_key)``.

    Knobs (plain attributes, change them any time): ``api_key``, ``balance``, ``currency``,
    ``services`` (dict by id), ``raw_services`` (a list sent verbatim instead, for malformed
    catalogs), ``latency`` (seconds per request), ``slow_seconds`` (how long ``"slow"`` waits),
    ``numbers_as_strings`` (True: ``"50"``, False: ``50``, None: mixed like real panels),
    ``status_spelling`` (canonical status → spelling sent, e.g. ``{"Canceled": "Cancelled"}``),
    ``cancel_immediately``, ``reject_duplicate_links``, ``record_calls``,
    ``require_browser_user_agent`` (others get a Cloudflare-like 403 page).
    Observations: ``orders``, ``refills``, ``calls`` (action, params without the key),
    ``call_counts``, ``last_user_agent``, ``max_in_flight`` (most requests handled at once).
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        balance: Decimal | str = Decimal("1000"),
        currency: str = "USD",
        services: Iterable[FakeService] | None = None,
        latency: float = 0.0,
        slow_seconds: float = 2.0,
        numbers_as_strings: bool | None = None,
        cancel_immediately: bool = True,
        reject_duplicate_links: bool = False,
        record_calls: bool = True,
        require_browser_user_agent: bool = False,
        first_order_id: int = 10001,
        first_refill_id: int = 501,
    ) -> None:
        self.api_key = api_key
        self.balance = Decimal(balance)
        self.currency = currency
        self.services: dict[int, FakeService] = (
            default_services()
            if services is None
            else {service.service_id: service for service in services}
        )
        self.raw_services: list[Json] | None = None
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.numbers_as_strings = numbers_as_strings
        self.status_spelling: dict[str, str] = {}
        self.cancel_immediately = cancel_immediately
        self.reject_duplicate_links = reject_duplicate_links
        self.record_calls = record_calls
        self.require_browser_user_agent = require_browser_user_agent
        self.last_user_agent: str | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.orders: dict[int, FakeOrder] = {}
        self.refills: dict[int, FakeRefill] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.call_counts: Counter[str] = Counter()
        self._next_order_id = first_order_id
        self._next_refill_id = first_refill_id
        self._active_by_link: dict[str, set[int]] = {}
        self._faults: dict[str, deque[str]] = {}
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(API_PATH, self._handle)
        self._runner, self._port = await serve(app, shutdown_timeout=1.0)
        self._stopping.clear()

    async def stop(self) -> None:
        self._stopping.set()  # wakes "slow" handlers so shutdown does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakePanel is not started")
        return f"http://127.0.0.1:{self._port}{API_PATH}"

    @staticmethod
    def refused_port() -> int:
        """A local port nothing listens on (bound, then released), for "connection refused"."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        return port

    @classmethod
    def refused_url(cls) -> str:
        return f"http://127.0.0.1:{cls.refused_port()}{API_PATH}"

    # --- test helpers ------------------------------------------------------------------------

    def fail_next(self, action: str, kind: str, times: int = 1) -> None:
        """Spoil the next ``times`` requests of ``action`` (``"*"``: any action).

        Kinds: ``html502`` (any ``html<code>``, optional ``:text`` put in the page),
        ``error:<text>`` (200), ``error<code>:<text>``, ``raw<code>:<body>`` (body verbatim),
        ``truncated``, ``empty``, ``slow``, ``drop``.
        """
        if not (
            kind in _SPOILING_KINDS
            or _KIND_HTML.match(kind)
            or _KIND_ERROR.match(kind)
            or _KIND_RAW.match(kind)
        ):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.setdefault(action, deque()).extend([kind] * times)

    def count(self, action: str) -> int:
        return self.call_counts[action]

    def calls_of(self, action: str) -> list[dict[str, str]]:
        return [params for called, params in self.calls if called == action]

    def create_order(
        self,
        service_id: int = 1,
        link: str = "https://instagram.com/fake",
        quantity: int = 100,
        *,
        status: str = PENDING,
        charge: Decimal | None = None,
    ) -> FakeOrder:
        """Put an order straight into the state (no HTTP, no balance change): for seeding."""
        if charge is None:
            service = self.services.get(service_id)
            charge = service.rate * quantity / 1000 if service is not None else Decimal(0)
        order = self._store_order(service_id, link, quantity, charge, {})
        if status != PENDING:
            self.set_status(order.order_id, status)
        return order

    def set_status(
        self,
        order_id: int,
        status: str,
        *,
        remains: int | str | None = None,
        start_count: int | None = None,
    ) -> None:
        """Move an order; ``Canceled`` refunds the charge, ``Partial`` the share of ``remains``.

        ``status`` is stored as given, so unknown statuses (``"Refunded"``) can be served.
        """
        order = self.orders[order_id]
        order.status = status
        if start_count is not None:
            order.start_count = start_count
        if remains is not None:
            order.remains = remains
        elif status == COMPLETED:
            order.remains = 0
        elif status == CANCELED:
            order.remains = order.quantity
        if status in FINAL:
            self._active_by_link.get(order.link, set()).discard(order_id)
        refund = Decimal(0)
        if status == CANCELED:
            refund = order.charge
        elif status == PARTIAL and isinstance(order.remains, int) and order.quantity > 0:
            refund = order.charge * min(order.remains, order.quantity) / order.quantity
        if refund > order.refunded:
            self.balance += refund - order.refunded
            order.refunded = refund

    def advance_all(
        self, status: str = COMPLETED, *, remains: int | None = None, start_count: int | None = None
    ) -> int:
        """Move every order that is not final yet; returns how many moved."""
        moving = [order.order_id for order in self.orders.values() if order.status not in FINAL]
        for order_id in moving:
            self.set_status(order_id, status, remains=remains, start_count=start_count)
        return len(moving)

    def set_refill_status(self, refill_id: int, status: str) -> None:
        self.refills[refill_id].status = status

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait for a condition on the panel's state (polls; fails loudly after ``within`` s)."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("FakePanel.wait_until: condition not met")
            await asyncio.sleep(0.005)

    # --- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.last_user_agent = request.headers.get("User-Agent")
        if self.require_browser_user_agent and not (self.last_user_agent or "").startswith(
            "Mozilla/"
        ):
            page = HTML_502.replace("502 Bad Gateway", "403 Forbidden").format(extra="")
            return web.Response(status=403, text=page, content_type="text/html")
        form = await request.post()
        params = {name: str(value) for name, value in form.items()}
        key = params.pop("key", None)
        action = params.pop("action", "")
        if self.record_calls:
            self.calls.append((action, params))
        self.call_counts[action] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._take_fault(action)
        if fault is not None and fault not in _SPOILING_KINDS and not _KIND_HTML.match(fault):
            return self._refusal_response(fault)
        body = (
            {"error": "Invalid API key"} if key != self.api_key else self._dispatch(action, params)
        )
        if fault is None:
            return _json_response(body)
        return await self._spoiled_response(request, fault, body)

    def _take_fault(self, action: str) -> str | None:
        for name in (action, "*"):
            queue = self._faults.get(name)
            if queue:
                return queue.popleft()
        return None

    def _refusal_response(self, fault: str) -> web.Response:
        if match := _KIND_ERROR.match(fault):
            return _json_response({"error": match.group(2)}, status=int(match.group(1) or 200))
        match = _KIND_RAW.match(fault)
        assert match is not None
        return web.Response(
            status=int(match.group(1)), text=match.group(2), content_type="application/json"
        )

    async def _spoiled_response(
        self, request: web.Request, fault: str, body: Json
    ) -> web.StreamResponse:
        if match := _KIND_HTML.match(fault):
            page = HTML_502.format(extra=match.group(2) or "")
            return web.Response(status=int(match.group(1)), text=page, content_type="text/html")
        if fault == "truncated":
            text = json.dumps(body)
            return web.Response(
                text=text[: max(1, len(text) // 2)], content_type="application/json"
            )
        if fault == "empty":
            return web.Response(body=b"", content_type="application/json")
        if fault == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.slow_seconds)
            return _json_response(body)
        # "drop": the action ran, then the connection dies before a byte of the answer.
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError

    # --- actions -----------------------------------------------------------------------------

    def _dispatch(self, action: str, params: dict[str, str]) -> Json:
        handler = {
            "services": self._services,
            "add": self._add,
            "status": self._status,
            "refill": self._refill,
            "refill_status": self._refill_status,
            "cancel": self._cancel,
            "balance": self._balance,
        }.get(action)
        return {"error": "Incorrect request"} if handler is None else handler(params)

    def _services(self, params: dict[str, str]) -> Json:
        if self.raw_services is not None:
            return self.raw_services
        return [self._render_service(service) for service in self.services.values()]

    def _add(self, params: dict[str, str]) -> Json:
        service = self.services.get(_int(params.get("service")) or 0)
        if service is None:
            return {"error": "Incorrect service ID"}
        link = params.get("link", "")
        if service.type == "Subscriptions":
            if not params.get("username"):
                return {"error": "Incorrect request"}
            quantity, charge = 0, Decimal(0)  # subscriptions are charged per post, later
        else:
            if not link.startswith(_LINK_PREFIXES):
                return {"error": "Bad link"}
            priced = self._price(service, params)
            if isinstance(priced, str):
                return {"error": priced}
            quantity, charge = priced
        if self.reject_duplicate_links and link and self._active_by_link.get(link):
            return {
                "error": "You have active order with this link. "
                "Please wait until order being completed."
            }
        if charge > self.balance:
            return {"error": "Not enough funds on balance"}
        self.balance -= charge
        order = self._store_order(service.service_id, link, quantity, charge, params)
        return {"order": self._number(order.order_id, as_text=self._text_mode(order.order_id))}

    def _price(self, service: FakeService, params: dict[str, str]) -> tuple[int, Decimal] | str:
        """(units to deliver, charge) for an add, or the panel's error text."""
        if service.type == "Package":
            return 1, service.rate
        if service.type.startswith("Custom Comments"):
            lines = [line for line in params.get("comments", "").splitlines() if line.strip()]
            if not lines:
                return "Incorrect request"
            quantity = len(lines)
        else:
            given = _int(params.get("quantity"))
            if given is None:
                return "Incorrect request"
            quantity = given
        if service.type == "Poll" and not params.get("answer_number"):
            return "Incorrect request"
        if quantity < service.min_quantity:
            return f"Quantity less than minimal {service.min_quantity}"
        if quantity > service.max_quantity:
            return f"Quantity more than maximum {service.max_quantity}"
        runs = 1
        if "runs" in params or "interval" in params:
            runs_value, interval = _int(params.get("runs")), _int(params.get("interval"))
            if not service.dripfeed or not runs_value or not interval or runs_value < 1:
                return "Incorrect request"
            runs = runs_value
        # A drip-feed order delivers the quantity once per run: its remains count over all.
        return quantity * runs, service.rate * quantity * runs / 1000

    def _status(self, params: dict[str, str]) -> Json:
        if "orders" not in params:
            order = self.orders.get(_int(params.get("order")) or 0)
            return {"error": "Incorrect order ID"} if order is None else self._render_status(order)
        tokens = _split_ids(params["orders"])
        if tokens is None:
            return {"error": "Incorrect request"}
        answer: dict[str, Json] = {}
        for token in tokens:
            order = self.orders.get(_int(token) or 0)
            answer[token] = (
                {"error": "Incorrect order ID"} if order is None else self._render_status(order)
            )
        return answer

    def _refill(self, params: dict[str, str]) -> Json:
        if "orders" not in params:
            result = self._refill_one(_int(params.get("order")) or 0)
            return result if isinstance(result, dict) else {"refill": result}
        return self._per_order(params["orders"], "refill", self._refill_one)

    def _per_order(self, ids: str, key: str, one: Callable[[int], Json]) -> Json:
        """A batch call's answer: ``[{"order": id, key: one(id)}, …]``, as the API lists it."""
        tokens = _split_ids(ids)
        if tokens is None:
            return {"error": "Incorrect request"}
        answer = []
        for token in tokens:
            order_id = _int(token) or 0
            answer.append({"order": self._id(order_id), key: one(order_id)})
        return answer

    def _refill_one(self, order_id: int) -> Json:
        order = self.orders.get(order_id)
        if order is None:
            return {"error": "Incorrect order ID"}
        service = self.services.get(order.service_id)
        if service is None or not service.refill:
            return {"error": "Refill is disabled for this service"}
        if order.status != COMPLETED:
            return {"error": "Refill is not available for this order"}
        refill = FakeRefill(self._next_refill_id, order_id)
        self._next_refill_id += 1
        self.refills[refill.refill_id] = refill
        return self._id(refill.refill_id)

    def _refill_status(self, params: dict[str, str]) -> Json:
        if "refills" not in params:
            refill = self.refills.get(_int(params.get("refill")) or 0)
            if refill is None:
                return {"error": "Refill not found"}
            return {"status": self._spell(refill.status)}
        tokens = _split_ids(params["refills"])
        if tokens is None:
            return {"error": "Incorrect request"}
        answer = []
        for token in tokens:
            refill_id = _int(token) or 0
            refill = self.refills.get(refill_id)
            status: Json = (
                {"error": "Refill not found"} if refill is None else self._spell(refill.status)
            )
            answer.append({"refill": self._id(refill_id), "status": status})
        return answer

    def _cancel(self, params: dict[str, str]) -> Json:
        if "orders" not in params:
            return {"cancel": self._cancel_one(_int(params.get("order")) or 0)}
        return self._per_order(params["orders"], "cancel", self._cancel_one)

    def _cancel_one(self, order_id: int) -> Json:
        order = self.orders.get(order_id)
        if order is None:
            return {"error": "Incorrect order ID"}
        service = self.services.get(order.service_id)
        if service is None or not service.cancel:
            return {"error": "Cancel is not available for this service"}
        if order.status in FINAL:
            return {"error": "Order can not be canceled"}
        order.cancel_requested = True
        if self.cancel_immediately:
            self.set_status(order_id, CANCELED)
        return 1

    def _balance(self, params: dict[str, str]) -> Json:
        as_text = self.numbers_as_strings is not False
        return {"balance": self._number(self.balance, as_text=as_text), "currency": self.currency}

    # --- state and rendering -----------------------------------------------------------------

    def _store_order(
        self, service_id: int, link: str, quantity: int, charge: Decimal, params: dict[str, str]
    ) -> FakeOrder:
        order = FakeOrder(self._next_order_id, service_id, link, quantity, charge, dict(params))
        self._next_order_id += 1
        self.orders[order.order_id] = order
        if link:
            self._active_by_link.setdefault(link, set()).add(order.order_id)
        return order

    def _text_mode(self, seed: int) -> bool:
        """Whether to send numbers as text; mixed mode alternates by id like real panels do."""
        if self.numbers_as_strings is None:
            return seed % 2 == 0
        return self.numbers_as_strings

    def _number(self, value: int | Decimal, *, as_text: bool) -> Json:
        if as_text:
            return f"{value:f}" if isinstance(value, Decimal) else str(value)
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral() else float(value)
        return value

    def _id(self, value: int) -> Json:
        return self._number(value, as_text=self._text_mode(value))

    def _flag(self, value: bool, *, as_text: bool) -> Json:
        return ("1" if value else "0") if as_text else value

    def _spell(self, status: str) -> str:
        return self.status_spelling.get(status, status)

    def _render_service(self, service: FakeService) -> Json:
        as_text = self._text_mode(service.service_id)
        rendered = {
            "service": self._number(service.service_id, as_text=as_text),
            "name": service.name,
            "type": service.type,
            "category": service.category,
            "rate": self._number(service.rate, as_text=as_text),
            "min": self._number(service.min_quantity, as_text=as_text),
            "max": self._number(service.max_quantity, as_text=as_text),
            "refill": self._flag(service.refill, as_text=as_text),
            "cancel": self._flag(service.cancel, as_text=as_text),
        }
        if service.type == "Default":
            rendered["dripfeed"] = self._flag(service.dripfeed, as_text=as_text)
        if service.description:
            rendered["description"] = service.description
        return rendered

    def _render_status(self, order: FakeOrder) -> Json:
        # The reference sends these as strings; only numbers_as_strings=False sends numbers.
        as_text = self.numbers_as_strings is not False
        remains = order.quantity if order.remains is None else order.remains
        return {
            "charge": self._number(order.charge, as_text=as_text),
            "start_count": (
                None
                if order.start_count is None
                else self._number(order.start_count, as_text=as_text)
            ),
            "status": self._spell(order.status),
            "remains": remains
            if isinstance(remains, str)
            else self._number(remains, as_text=as_text),
            "currency": self.currency,
        }


def _json_response(body: Json, *, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _split_ids(text: str) -> list[str] | None:
    """Ids of a batch parameter; None when more than the panel accepts in one call."""
    tokens = list(dict.fromkeys(token.strip() for token in text.split(",") if token.strip()))
    return tokens if len(tokens) <= BATCH_LIMIT else None
