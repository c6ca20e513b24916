"""The JSON API under ``/api/``: the shop for customers, a dashboard for admins.

Thin like the chat's handlers: parse and check the request, call the same services the chat
calls, answer JSON. Amounts are decimal strings; every error is ``{"error": "<text in the
caller's language>"}`` with a fitting status, never a traceback. Every request is signed in
with Telegram's ``initData`` (see :mod:`bot.web.auth`); admin endpoints check ``ADMIN_IDS`` on
every call.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.core.errors import (
    ConfirmationExpiredError,
    OrderNotFoundError,
    OrderRefusedError,
    PanelCheckUnavailableError,
    PanelIdTakenError,
    PanelOrderNotFoundError,
    StorefrontError,
)
from bot.core.ids import parse_id
from bot.core.money import Money
from bot.services import order_form
from bot.services.catalog import is_package
from bot.services.quoting import Placement
from bot.services.stats import daily
from bot.services.tracking.tracker import is_final
from bot.telegram import keyboards, render
from bot.telegram.i18n import Translator
from bot.telegram.middlewares import remember_user
from bot.upstream.types import (
    STATUS_CANCELED,
    STATUS_COMPLETED,
    STATUS_IN_PROGRESS,
    STATUS_PARTIAL,
    STATUS_PENDING,
    STATUS_PROCESSING,
)
from bot.web.auth import NotAuthenticatedError, authenticate
from storage.orders import FAILED, PLACING, UNKNOWN, Order
from storage.users import User

if TYPE_CHECKING:
    from bot.dependencies import Services

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
ORDERS_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_STATS_DAYS = 366
MAX_ID = 2**63 - 1
# How long shutdown waits for orders on their way to the panel (they are never cut short).
PLACEMENT_GRACE_SECONDS = 5.0
ORDER_STATUSES = frozenset(
    {
        PLACING,
        UNKNOWN,
        FAILED,
        STATUS_PENDING,
        STATUS_IN_PROGRESS,
        STATUS_PROCESSING,
        STATUS_COMPLETED,
        STATUS_PARTIAL,
        STATUS_CANCELED,
    }
)
# Settling: a panel id the panel does not know is a bad field, a panel that cannot be asked a
# wait; anything else (settled already) a conflict.
_SETTLE_STATUS: dict[type[StorefrontError], int] = {
    PanelOrderNotFoundError: 422,
    PanelCheckUnavailableError: 503,
}
_TELEGRAM_TAGS = re.compile(r"</?(?:b|i|u|s|code|pre|a)(?:\s[^>]*)?>")
# Who the request being handled is signed in as (set around each handler).
_CALLER: ContextVar[Caller] = ContextVar("web_api_caller")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An answer other than 200: its status and the message that explains it."""

    def __init__(self, status: int, message_id: str, **arguments: Any) -> None:
        super().__init__(message_id)
        self.status = status
        self.message_id = message_id
        self.arguments = arguments


@dataclass(frozen=True, slots=True)
class Caller:
    user: User
    i18n: Translator
    is_admin: bool


def plain_text(text: str) -> str:
    """A chat message (Telegram HTML) as plain text; the page inserts it as text, not HTML."""
    return html.unescape(_TELEGRAM_TAGS.sub("", text))


def _money(amount: Money) -> str:
    return str(amount)


def _timestamp(stored: str) -> str:
    """``2026-12-01 12:00:00`` (UTC, as stored) as ISO 8601 with its zone."""
    return stored.replace(" ", "T") + "Z"


def _caller(request: web.Request) -> Caller:
    return _CALLER.get()


def _require_admin(request: web.Request) -> Caller:
    caller = _caller(request)
    if not caller.is_admin:
        raise ApiError(403, "webapp-error-admin-only")
    return caller


def _int_parameter(
    request: web.Request, name: str, default: int, minimum: int, maximum: int
) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ApiError(422, "webapp-error-parameter", name=name, minimum=minimum, maximum=maximum)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ApiError(422, "webapp-error-parameter", name=name, minimum=minimum, maximum=maximum)
    return value


async def _read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, read no further than MAX_BODY_BYTES."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "webapp-error-too-large")
    body = bytearray()
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "webapp-error-too-large")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than it recurses
        raise ApiError(400, "webapp-error-bad-json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "webapp-error-bad-json")
    return data


def _id_field(data: dict[str, Any], name: str) -> int:
    """A positive id given as a JSON number or a string of digits."""
    value = data.get(name)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ApiError(422, "webapp-error-field", name=name)
    return value


def _text_field(data: dict[str, Any], name: str) -> str:
    """An answer as the customer would type it in the chat (numbers are fine too)."""
    value = data.get(name)
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)  # comments, one per item
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ApiError(422, "webapp-error-field", name=name)
    return str(value)


class ShopApi:
    """The endpoints, sharing the services the chat's handlers receive."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._placing: set[asyncio.Task[Placement]] = set()

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._handle])
        routes = app.router
        routes.add_get("/me", self.me)
        routes.add_get("/strings", self.strings)
        routes.add_get("/catalog", self.catalog)
        routes.add_post("/quote", self.quote)
        routes.add_post("/orders", self.place_order)
        routes.add_get("/orders", self.orders)
        routes.add_get("/admin/stats", self.admin_stats)
        routes.add_get("/admin/orders", self.admin_orders)
        routes.add_post(r"/admin/orders/{order_id:\d{1,19}}/settle", self.admin_settle)
        app.on_shutdown.append(self._finish_placements)
        return app

    # --- the one middleware: sign-in, then the handler, every error as JSON ---------------

    @web.middleware
    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        caller: Caller | None = None
        try:
            unmatched = request.match_info.http_exception
            if unmatched is not None:
                raise unmatched  # an unknown path is a 404 whoever asks
            caller = await self._sign_in(request)
            token = _CALLER.set(caller)
            try:
                response = await handler(request)
            finally:
                _CALLER.reset(token)
        except ApiError as error:
            return self._error(request, caller, error.status, error.message_id, **error.arguments)
        except web.HTTPException as error:  # the router's 404 and 405, aiohttp's 413
            message_id = {
                404: "webapp-error-not-found",
                405: "webapp-error-method",
                413: "webapp-error-too-large",
            }.get(error.status, "error-generic")
            return self._error(request, caller, error.status, message_id)
        except Exception:
            logger.exception("Web API %s %s failed", request.method, request.path)
            return self._error(request, caller, 500, "error-generic")
        response.headers["Cache-Control"] = "no-store"
        return response

    def _error(
        self,
        request: web.Request,
        caller: Caller | None,
        status: int,
        message_id: str,
        **arguments: Any,
    ) -> web.Response:
        i18n = caller.i18n if caller else self._anonymous_translator(request)
        response = web.json_response(
            {"error": plain_text(i18n(message_id, **arguments))}, status=status
        )
        response.headers["Cache-Control"] = "no-store"
        if status == 401:
            response.headers["WWW-Authenticate"] = "tma"
        return response

    def _anonymous_translator(self, request: web.Request) -> Translator:
        """Before sign-in, the language the browser asks for."""
        first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0]
        translations = self._services.translations
        return translations.get(translations.resolve_language(first.strip() or None))

    async def _sign_in(self, request: web.Request) -> Caller:
        services = self._services
        try:
            telegram_user = authenticate(
                request.headers.get("Authorization"), services.settings.BOT_TOKEN.get_secret_value()
            )
        except NotAuthenticatedError as error:
            logger.info("Web API %s refused: %s", request.path, error)
            raise ApiError(401, "webapp-error-unauthorized") from None
        user = await remember_user(
            services.repo,
            services.translations,
            telegram_user.id,
            language_code=telegram_user.language_code,
            first_name=telegram_user.first_name,
            username=telegram_user.username,
        )
        is_admin = services.settings.is_admin(user.id)
        caller = Caller(user, services.translations.get(user.language), is_admin)
        if user.banned and not is_admin:
            raise ApiError(403, "banned")
        allowed, _ = services.throttle.allow(user.id)
        if not allowed:
            raise ApiError(429, "webapp-error-slow-down")
        return caller

    # --- customer endpoints ---------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        caller = _caller(request)
        balance = await self._services.repo.ledger.balance(caller.user.id)
        return web.json_response(
            {
                "id": caller.user.id,
                "first_name": caller.user.first_name,
                "balance": _money(balance),
                "currency": self._services.translations.currency,
                "language": caller.user.language,
                "is_admin": caller.is_admin,
            }
        )

    async def strings(self, request: web.Request) -> web.Response:
        """The page's texts in the caller's language (``{name}`` marks a value to fill in)."""
        i18n = _caller(request).i18n
        ids = sorted(
            message_id
            for message_id in self._services.translations.message_ids[
                self._services.translations.default_language
            ]
            if message_id.startswith("webapp-")
        )
        return web.json_response(
            {
                "language": i18n.language,
                "strings": {
                    message_id: plain_text(i18n.template(message_id)) for message_id in ids
                },
            }
        )

    async def catalog(self, request: web.Request) -> web.Response:
        i18n = _caller(request).i18n
        repo, pricing = self._services.repo, self._services.pricing
        categories = []
        for category in await repo.catalog.categories(offset=0, limit=100_000):
            services = await repo.catalog.services(category.id, offset=0, limit=100_000)
            categories.append(
                {
                    "id": category.id,
                    "name": category.name,
                    "services": [
                        {
                            "id": service.id,
                            "name": service.name,
                            "type": service.type,
                            "type_label": plain_text(render.service_type_label(i18n, service.type)),
                            "price": _money(pricing.unit_price(service)),
                            "per": "package" if is_package(service.type) else "1000",
                            "min": service.min_quantity,
                            "max": service.max_quantity,
                            "refill": service.refill,
                            "cancel": service.cancel,
                            "dripfeed": order_form.offers_dripfeed(service),
                            "description": service.description,
                        }
                        for service in services
                        if service.offered
                    ],
                }
            )
        return web.json_response(
            {"currency": self._services.translations.currency, "categories": categories}
        )

    async def quote(self, request: web.Request) -> web.Response:
        caller = _caller(request)
        data = await _read_json(request)
        service_id = _id_field(data, "service_id")
        fields = {
            key: _text_field(data, key)
            for key in order_form.ANSWER_KEYS
            if key in data and key != order_form.DRIPFEED
        }
        dripfeed = data.get("dripfeed", False)
        if not isinstance(dripfeed, bool):
            raise ApiError(422, "webapp-error-field", name="dripfeed")
        try:
            quote = await self._services.quotes.quote(
                caller.user.id, service_id, fields, dripfeed=dripfeed
            )
        except StorefrontError as error:
            return self._refusal(caller, error)
        balance = await self._services.repo.ledger.balance(caller.user.id)
        after = balance - quote.price
        return web.json_response(
            {
                "token": quote.token,
                "service": quote.service_name,
                "link": quote.link,
                "quantity": quote.quantity,
                "runs": quote.runs,
                "interval": quote.interval,
                "price": _money(quote.price),
                # A pending percent promo, already taken off ``price`` (null: none).
                "discount": _money(quote.discount) if quote.promo_code else None,
                "promo_code": quote.promo_code,
                "promo_percent": quote.promo_percent,
                "balance": _money(balance),
                "balance_after": _money(after),
                "enough_balance": not after.is_negative,
            }
        )

    def _refusal(self, caller: Caller, error: StorefrontError) -> web.Response:
        if isinstance(error, ConfirmationExpiredError):
            text = caller.i18n("webapp-error-quote-expired")
        else:
            text = caller.i18n.error(error)
        return web.json_response({"error": plain_text(text)}, status=422)

    async def place_order(self, request: web.Request) -> web.Response:
        caller = _caller(request)
        data = await _read_json(request)
        token = _text_field(data, "token")
        if not 0 < len(token) <= 64:
            raise ApiError(422, "webapp-error-field", name="token")
        # Shielded: a client that goes away, or a shutdown, never cuts a placement short
        # between the charge and the panel's answer.
        task = asyncio.create_task(self._services.quotes.place(caller.user.id, token))
        self._placing.add(task)
        task.add_done_callback(self._placing.discard)
        try:
            placement = await asyncio.shield(task)
        except StorefrontError as error:  # not enough balance, an unknown or old quote
            return self._refusal(caller, error)
        if not placement.duplicate:
            self._services.tasks.start(
                f"webapp-order-{placement.order.id}", self._tell_chat(placement)
            )
        return web.json_response(
            {
                "order": self._order(caller.i18n, placement.order),
                "duplicate": placement.duplicate,
                "message": plain_text(self._placement_text(caller.i18n, placement)),
            }
        )

    def _placement_text(self, i18n: Translator, placement: Placement) -> str:
        order = placement.order
        if placement.duplicate:
            return i18n("order-already-placed")
        error = placement.outcome
        if error is None:
            return i18n("order-placed", id=order.id, service=order.service_name)
        arguments = dict(error.arguments)
        arguments.pop("detail", None)
        if isinstance(error, OrderRefusedError):
            arguments["reason"] = i18n(str(arguments.pop("reason_id")))
        arguments["price"] = i18n.money(order.price)
        return i18n(error.message_id, **arguments)

    async def _tell_chat(self, placement: Placement) -> None:
        """The chat hears of a Mini App order exactly as of one confirmed in the chat."""
        order = placement.order

        def text(i18n: Translator) -> str:
            if placement.outcome is not None:
                return self._placement_text(i18n, placement)
            return self._placement_text(i18n, placement) + "\n\n" + render.order_card(i18n, order)

        def keyboard(i18n: Translator) -> Any:
            if placement.outcome is not None:
                return keyboards.main_menu(i18n)
            return keyboards.order_card(i18n, order, page=0)

        await self._services.messenger.send(order.user_id, text, keyboard=keyboard)

    async def _finish_placements(self, app: web.Application) -> None:
        if self._placing:
            await asyncio.wait(set(self._placing), timeout=PLACEMENT_GRACE_SECONDS)

    async def orders(self, request: web.Request) -> web.Response:
        """The caller's orders, newest first: ``?offset=0&limit=20`` (at most 100)."""
        caller = _caller(request)
        offset = _int_parameter(request, "offset", 0, 0, 10**9)
        limit = _int_parameter(request, "limit", ORDERS_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        repo = self._services.repo
        orders = await repo.orders.for_user(caller.user.id, offset=offset, limit=limit)
        return web.json_response(
            {
                "orders": [self._order(caller.i18n, order) for order in orders],
                "total": await repo.orders.count_for_user(caller.user.id),
                "offset": offset,
                "limit": limit,
            }
        )

    def _order(self, i18n: Translator, order: Order) -> dict[str, Any]:
        return {
            "id": order.id,
            "service_id": order.service_id,
            "service": order.service_name,
            "category": order.category,
            "link": order.link,
            "quantity": order.quantity,
            "price": _money(order.price),
            "status": order.status,
            "status_label": plain_text(render.status_label(i18n, order.status)),
            "final": is_final(order.status),
            "remains": order.remains,
            "start_count": order.start_count,
            "created_at": _timestamp(order.created_at),
            "updated_at": _timestamp(order.updated_at),
        }

    # --- admin endpoints ------------------------------------------------------------------

    async def admin_stats(self, request: web.Request) -> web.Response:
        """One row per UTC day, oldest first: ``?days=30`` (1 to 366)."""
        _require_admin(request)
        days = _int_parameter(request, "days", 30, 1, MAX_STATS_DAYS)
        figures = await daily(self._services.repo, days)
        total_revenue = sum((day.revenue for day in figures), Money.zero())
        total_cost = sum((day.cost for day in figures), Money.zero())
        return web.json_response(
            {
                "currency": self._services.translations.currency,
                "days": [
                    {
                        "date": day.day.isoformat(),
                        "orders": day.orders,
                        "revenue": _money(day.revenue),
                        "panel_cost": _money(day.cost),
                        "profit": _money(day.profit),
                    }
                    for day in figures
                ],
                "total": {
                    "orders": sum(day.orders for day in figures),
                    "revenue": _money(total_revenue),
                    "panel_cost": _money(total_cost),
                    "profit": _money(total_revenue - total_cost),
                },
            }
        )

    async def admin_orders(self, request: web.Request) -> web.Response:
        """Orders in one status, oldest first: ``?status=unknown`` (the default: to settle)."""
        caller = _require_admin(request)
        status = request.query.get("status") or UNKNOWN
        if status not in ORDER_STATUSES:
            raise ApiError(422, "webapp-error-status", statuses=", ".join(sorted(ORDER_STATUSES)))
        limit = _int_parameter(request, "limit", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        orders = await self._services.repo.orders.with_status(status, limit=limit)
        return web.json_response(
            {
                "orders": [self._admin_order(caller.i18n, order) for order in orders],
                # What a settle may name as ``panel`` (the main panel first).
                "panels": self._services.panels.names,
            }
        )

    def _admin_order(self, i18n: Translator, order: Order) -> dict[str, Any]:
        return {
            **self._order(i18n, order),
            "user_id": order.user_id,
            "upstream_id": order.upstream_id,
            # The panel it was sent to, by name (orders from before panels: the main one).
            "panel": self._panel_name(order.panel),
            "detail": order.error,
        }

    def _panel_name(self, stored: str) -> str:
        panel = self._services.panels.get(stored)
        return stored if panel is None else panel.name

    def _settle_panel(self, data: dict[str, Any]) -> str | None:
        """The panel a settle names (None: the one the order was sent to), or 422."""
        if data.get("panel") in (None, ""):
            return None
        name = data["panel"]
        panels = self._services.panels
        if not isinstance(name, str) or panels.get(name.strip().lower()) is None:
            shown = name.strip()[:32] if isinstance(name, str) else "?"
            raise ApiError(422, "admin-panel-unknown", panel=shown, panels=", ".join(panels.names))
        return name.strip().lower()

    async def admin_settle(self, request: web.Request) -> web.Response:
        """Settle an order whose placement is unknown, as ``/settle`` does: the body is
        ``{"panel_order_id": 123}`` (it is on the panel it was sent to), ``{"panel_order_id":
        123, "panel": "backup"}`` (on that panel, like ``/settle <id> backup:123``) or
        ``{"failed": true}`` (refund)."""
        caller = _require_admin(request)
        i18n = caller.i18n
        # \d also matches "²" and "٣": the one id parser decides what an id is.
        order_id = parse_id(request.match_info["order_id"])
        if order_id is None:
            raise ApiError(404, "admin-order-not-found", order_id=0)
        data = await _read_json(request)
        failed = data.get("failed") is True
        if failed == ("panel_order_id" in data) or (failed and "panel" in data):
            raise ApiError(422, "webapp-error-settle-body")
        panel = self._settle_panel(data)
        ordering = self._services.ordering
        try:
            if failed:
                order = await ordering.settle_failed(order_id)
                text = i18n(
                    "admin-settled-failed", order_id=order.id, amount=i18n.money(order.price)
                )
            else:
                upstream_id = _id_field(data, "panel_order_id")
                order = await ordering.settle_placed(order_id, upstream_id, panel)
                text = i18n("admin-settled-placed", order_id=order.id, upstream_id=str(upstream_id))
        except OrderNotFoundError as error:
            raise ApiError(404, error.message_id, **error.arguments) from None
        except PanelIdTakenError as error:
            raise ApiError(409, error.message_id, **error.arguments) from None
        except StorefrontError as error:  # settled already, or the panel cannot confirm the id
            status = _SETTLE_STATUS.get(type(error), 409)
            return web.json_response({"error": plain_text(i18n.error(error))}, status=status)
        self._services.outbox.wake()
        return web.json_response(
            {"order": self._admin_order(i18n, order), "message": plain_text(text)}
        )
