"""A fake Crypto Pay API (@CryptoBot) served over real HTTP on 127.0.0.1, with the real shapes.

Every method is ``{url}/{method}``, GET or POST, parameters in the query string, a form or a
JSON body, the app token in ``Crypto-Pay-API-Token``. Answers are ``{"ok": true, "result": …}``
or ``{"ok": false, "error": {"code": N, "name": "…"}}`` with the HTTP status equal to the code.
Tests move invoices along with :meth:`FakeCryptoPay.mark_paid` / :meth:`mark_expired`, deliver
webhook updates with :meth:`post_webhook` (signed as Crypto Pay signs them, or forged), and
simulate an outage with ``down = True``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, Self

import httpx
from aiohttp import web

from bot.testing.loopback import serve

DEFAULT_TOKEN = "12345:AAzQcZWQqQAbsfgPnOLr4FHC8Doa4L7KryC"
API_PATH = "/api"
FIAT = frozenset({"USD", "EUR", "RUB", "BYN", "UAH", "GBP", "CNY", "KZT", "UZS", "GEL", "TRY"})
ASSETS = frozenset({"USDT", "TON", "BTC", "ETH", "LTC", "BNB", "TRX", "USDC"})


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FakeInvoice:
    invoice_id: int
    fiat: str
    amount: str
    accepted_assets: list[str]
    payload: str | None
    expires_in: int | None
    description: str | None
    status: str = "active"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    paid_at: datetime | None = None
    paid_asset: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "invoice_id": self.invoice_id,
            "hash": f"IV{self.invoice_id:08d}",
            "currency_type": "fiat",
            "fiat": self.fiat,
            "amount": self.amount,
            "accepted_assets": self.accepted_assets,
            "status": self.status,
            "bot_invoice_url": f"https://t.me/CryptoBot?start=IV{self.invoice_id:08d}",
            "mini_app_invoice_url": f"https://t.me/CryptoBot/app?startapp=IV{self.invoice_id}",
            "web_app_invoice_url": f"https://app.cr.bot/invoices/IV{self.invoice_id:08d}",
            "allow_comments": True,
            "allow_anonymous": True,
            "created_at": stamp(self.created_at),
        }
        if self.description is not None:
            data["description"] = self.description
        if self.payload is not None:
            data["payload"] = self.payload
        if self.expires_in is not None:
            data["expiration_date"] = stamp(self.created_at + timedelta(seconds=self.expires_in))
        if self.status == "paid" and self.paid_at is not None:
            data.update(
                paid_at=stamp(self.paid_at),
                paid_asset=self.paid_asset or "USDT",
                paid_amount=self.amount,
                paid_fiat_rate="1.00000000",
                paid_usd_rate="1.00000000",
                fee_asset=self.paid_asset or "USDT",
                fee_amount="0",
                paid_anonymously=False,
            )
        return data


class ApiError(Exception):
    def __init__(self, code: int, name: str) -> None:
        super().__init__(name)
        self.code = code
        self.name = name


class FakeCryptoPay:
    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.invoices: dict[int, FakeInvoice] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.down = False  # answer every call with a 502 page, as a proxy in front would
        self._next_id = 1000
        self._update_id = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", API_PATH + "/{method}", self._handle)
        self._runner, self._port = await serve(app, shutdown_timeout=0.5)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """What CRYPTOPAY_API_URL is set to."""
        if self._port is None:
            raise RuntimeError("FakeCryptoPay is not started")
        return f"http://127.0.0.1:{self._port}{API_PATH}"

    # --- what tests do -----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, str]]:
        return [params for name, params in self.calls if name == method]

    def mark_paid(self, invoice_id: int, asset: str = "USDT") -> FakeInvoice:
        invoice = self.invoices[invoice_id]
        invoice.status = "paid"
        invoice.paid_at = datetime.now(UTC)
        invoice.paid_asset = asset
        return invoice

    def mark_expired(self, invoice_id: int) -> FakeInvoice:
        invoice = self.invoices[invoice_id]
        invoice.status = "expired"
        return invoice

    def signature(self, body: bytes, token: str | None = None) -> str:
        key = hashlib.sha256((token or self.token).encode()).digest()
        return hmac.new(key, body, hashlib.sha256).hexdigest()

    def update(self, invoice_id: int) -> bytes:
        """The raw body of an ``invoice_paid`` update for an invoice, as Crypto Pay sends it."""
        self._update_id += 1
        update = {
            "update_id": self._update_id,
            "update_type": "invoice_paid",
            "request_date": stamp(datetime.now(UTC)),
            "payload": self.invoices[invoice_id].to_api(),
        }
        return json.dumps(update, separators=(",", ":")).encode()

    async def post_webhook(
        self,
        url: str,
        body: bytes,
        *,
        signature: str | None = None,
        sign_with: str | None = None,
    ) -> httpx.Response:
        """POST an update to the bot: signed with the app token unless told otherwise."""
        headers = {"Content-Type": "application/json"}
        header = signature if signature is not None else self.signature(body, sign_with)
        if header:
            headers["crypto-pay-api-signature"] = header
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await client.post(url, content=body, headers=headers)

    # --- the API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        if self.down:
            return web.Response(status=502, text="<html><h1>502 Bad Gateway</h1></html>")
        try:
            if request.headers.get("Crypto-Pay-API-Token") != self.token:
                raise ApiError(401, "UNAUTHORIZED")
            handler = {
                "getMe": self._get_me,
                "createInvoice": self._create_invoice,
                "getInvoices": self._get_invoices,
                "deleteInvoice": self._delete_invoice,
            }.get(method)
            if handler is None:
                raise ApiError(405, "METHOD_NOT_FOUND")
            result = handler(params)
        except ApiError as error:
            return web.json_response(
                {"ok": False, "error": {"code": error.code, "name": error.name}},
                status=error.code,
            )
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        params = {key: value for key, value in request.query.items()}
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = {}
                if isinstance(body, dict):
                    params.update({key: str(value) for key, value in body.items()})
            else:
                form = await request.post()
                params.update({key: str(value) for key, value in form.items()})
        return params

    def _get_me(self, params: dict[str, str]) -> dict[str, Any]:
        return {
            "app_id": 4242,
            "name": "Storefront",
            "payment_processing_bot_username": "CryptoBot",
        }

    def _create_invoice(self, params: dict[str, str]) -> dict[str, Any]:
        if params.get("currency_type") != "fiat":
            raise ApiError(400, "CURRENCY_TYPE_INVALID")  # the bot only makes fiat invoices
        fiat = params.get("fiat", "")
        if fiat not in FIAT:
            raise ApiError(400, "FIAT_INVALID")
        try:
            amount = Decimal(params.get("amount", ""))
        except InvalidOperation:
            raise ApiError(400, "AMOUNT_INVALID") from None
        if not amount.is_finite() or amount <= 0:
            raise ApiError(400, "AMOUNT_INVALID")
        assets = [part for part in params.get("accepted_assets", "").split(",") if part]
        if any(asset not in ASSETS for asset in assets):
            raise ApiError(400, "ACCEPTED_ASSETS_INVALID")
        expires_in = None
        if "expires_in" in params:
            try:
                expires_in = int(params["expires_in"])
            except ValueError:
                raise ApiError(400, "EXPIRES_IN_INVALID") from None
            if not 1 <= expires_in <= 2_678_400:
                raise ApiError(400, "EXPIRES_IN_INVALID")
        payload = params.get("payload")
        if payload is not None and len(payload.encode()) > 4096:
            raise ApiError(400, "PAYLOAD_TOO_LONG")
        self._next_id += 1
        invoice = FakeInvoice(
            invoice_id=self._next_id,
            fiat=fiat,
            amount=params["amount"],
            accepted_assets=assets or sorted(ASSETS),
            payload=payload,
            expires_in=expires_in,
            description=params.get("description"),
        )
        self.invoices[invoice.invoice_id] = invoice
        return invoice.to_api()

    def _get_invoices(self, params: dict[str, str]) -> dict[str, Any]:
        found = list(self.invoices.values())
        if params.get("invoice_ids"):
            try:
                wanted = {int(part) for part in params["invoice_ids"].split(",") if part}
            except ValueError:
                raise ApiError(400, "INVOICE_IDS_INVALID") from None
            found = [invoice for invoice in found if invoice.invoice_id in wanted]
        if params.get("status"):
            found = [invoice for invoice in found if invoice.status == params["status"]]
        count = int(params.get("count") or 100)
        if not 1 <= count <= 1000:
            raise ApiError(400, "COUNT_INVALID")
        offset = int(params.get("offset") or 0)
        return {"items": [invoice.to_api() for invoice in found[offset : offset + count]]}

    def _delete_invoice(self, params: dict[str, str]) -> bool:
        try:
            invoice_id = int(params.get("invoice_id", ""))
        except ValueError:
            raise ApiError(400, "INVOICE_ID_INVALID") from None
        if self.invoices.pop(invoice_id, None) is None:
            raise ApiError(400, "INVOICE_NOT_FOUND")
        return True
