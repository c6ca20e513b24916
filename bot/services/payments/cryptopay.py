"""The Crypto Pay rail (@CryptoBot): invoices in the shop currency, paid in crypto.

A top-up row is written first, then ``createInvoice`` is asked for an invoice whose payload is
that row's id. The outcome is learned two ways, either alone enough: :meth:`CryptoPayRail.poll`
asks ``getInvoices`` about the open invoices (works without a public URL), and
:meth:`CryptoPayRail.take_webhook` takes the signed ``invoice_paid`` update. Both settle through
the shared crediting path, so however often and however concurrently an invoice is reported
paid, its fiat ``amount`` is credited once.

The client is ours, on httpx: ``aiocryptopay`` builds ``<network>/api/<method>`` (so a test
server or a proxy base cannot be given as ``CRYPTOPAY_API_URL``), sends GETs and sets no
timeout; ``aiosend`` checks the token in its constructor with a blocking ``urlopen`` without a
timeout, and on a refused token sends it to the other public network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.core.money import InvalidAmountError, Money, format_amount
from bot.services.payments.rails import (
    DEFAULT_EXPIRY_MINUTES,
    Checkout,
    RailName,
    TopupCrediting,
    TopupError,
    TopupLimits,
)
from storage.database import format_time
from storage.repository import Repository
from storage.topups import EXPIRED, FAILED, PENDING, Topup

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://pay.crypt.bot/api"
TESTNET_API_URL = "https://testnet-pay.crypt.bot/api"
DEFAULT_ASSETS = ("USDT", "TON", "BTC", "ETH", "LTC", "TRX")
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=5.0)
TOKEN_HEADER = "Crypto-Pay-API-Token"
SIGNATURE_HEADER = "crypto-pay-api-signature"
# getInvoices answers at most 1000; a smaller batch keeps each answer small.
POLL_BATCH = 100
# A row whose createInvoice never answered (a crash, a timeout) has no link anyone was shown.
STALE_CREATION = timedelta(minutes=10)
# Paid is paid: a payment reported for a top-up we had given up on is still credited.
PAYABLE_STATUSES = (PENDING, EXPIRED, FAILED)


class CryptoPayError(Exception):
    """Crypto Pay answered and refused the call (``name`` is its error name)."""

    def __init__(self, method: str, name: str, code: int) -> None:
        super().__init__(f"{method}: {code} {name}")
        self.method = method
        self.name = name
        self.code = code


class CryptoPayUnavailableError(Exception):
    """Crypto Pay could not be reached or answered nonsense; the call may be tried again."""


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: int
    status: str
    currency_type: str
    fiat: str | None
    amount: Money
    payload: str | None
    bot_invoice_url: str
    expiration_date: str | None


def parse_invoice(data: Any) -> Invoice:
    """An Invoice object of the API; ValueError if it is not one."""
    if not isinstance(data, dict):
        raise ValueError("an invoice must be an object")
    invoice_id = data.get("invoice_id")
    if not isinstance(invoice_id, int) or isinstance(invoice_id, bool) or invoice_id <= 0:
        raise ValueError("invoice_id must be a positive integer")
    if invoice_id >= 2**63:
        raise ValueError("invoice_id is out of range")
    status = data.get("status")
    if status not in ("active", "paid", "expired"):
        raise ValueError(f"unknown invoice status {status!r}")
    try:
        amount = Money.parse(str(data.get("amount", "")))
    except InvalidAmountError:
        raise ValueError("amount must be a positive decimal string") from None
    payload = data.get("payload")
    fiat = data.get("fiat")
    expiration = data.get("expiration_date")
    return Invoice(
        invoice_id=invoice_id,
        status=status,
        currency_type=str(data.get("currency_type", "")),
        fiat=fiat.upper() if isinstance(fiat, str) else None,
        amount=amount,
        payload=payload if isinstance(payload, str) else None,
        bot_invoice_url=str(data.get("bot_invoice_url", "")),
        expiration_date=expiration if isinstance(expiration, str) else None,
    )


class CryptoPayClient:
    """``{base}/{method}`` with the token header and a JSON body; every call has a timeout."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._http = http_client or httpx.AsyncClient()
        self._owns_http = http_client is None
        self._timeout = timeout or DEFAULT_TIMEOUT

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def call(self, method: str, **params: Any) -> Any:
        """The ``result`` of a call; CryptoPayError if refused, CryptoPayUnavailableError if
        there was no usable answer. Neither message carries the token or the URL's query."""
        try:
            response = await self._http.post(
                f"{self._base}/{method}",
                json=params,
                headers={TOKEN_HEADER: self._token},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise CryptoPayUnavailableError(f"{method}: {type(error).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise CryptoPayUnavailableError(f"{method}: HTTP {response.status_code}, not JSON")
        if body.get("ok") is True and "result" in body:
            return body["result"]
        if response.status_code >= 500:
            raise CryptoPayUnavailableError(f"{method}: HTTP {response.status_code}")
        refusal = body.get("error")
        refusal = refusal if isinstance(refusal, dict) else {}
        code = refusal.get("code")
        raise CryptoPayError(
            method,
            str(refusal.get("name") or "UNKNOWN")[:100],
            code if isinstance(code, int) else response.status_code,
        )

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def create_invoice(
        self,
        *,
        fiat: str,
        amount: Money,
        accepted_assets: Sequence[str],
        payload: str,
        expires_in: int,
    ) -> Invoice:
        result = await self.call(
            "createInvoice",
            currency_type="fiat",
            fiat=fiat,
            amount=format_amount(amount),
            accepted_assets=",".join(accepted_assets),
            payload=payload,
            expires_in=expires_in,
        )
        try:
            return parse_invoice(result)
        except ValueError as error:
            raise CryptoPayUnavailableError(f"createInvoice: {error}") from None

    async def get_invoices(self, invoice_ids: Sequence[int]) -> list[Invoice]:
        result = await self.call(
            "getInvoices",
            invoice_ids=",".join(str(invoice_id) for invoice_id in invoice_ids),
            count=len(invoice_ids),
        )
        items = result.get("items") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise CryptoPayUnavailableError("getInvoices: no items")
        invoices = []
        for item in items:
            try:
                invoices.append(parse_invoice(item))
            except ValueError as error:
                logger.warning("Crypto Pay sent an invoice we cannot read: %s", error)
        return invoices


def signature(token: str, body: bytes) -> str:
    """What Crypto Pay puts in ``crypto-pay-api-signature``: HMAC-SHA256 of the raw body,
    keyed with the SHA-256 digest of the app token, in hex."""
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    status: int
    body: dict[str, Any]


class CryptoPayRail:
    name = RailName.CRYPTOPAY.value

    def __init__(
        self,
        repo: Repository,
        client: CryptoPayClient,
        crediting: TopupCrediting,
        limits: TopupLimits,
        *,
        token: str,
        currency: str,
        assets: Sequence[str] = DEFAULT_ASSETS,
        poll_seconds: float = 15,
        expiry_minutes: int = DEFAULT_EXPIRY_MINUTES,
    ) -> None:
        self._repo = repo
        self._client = client
        self._crediting = crediting
        self._limits = limits
        self._token = token
        self.currency = currency
        self.assets = tuple(assets)
        self.poll_seconds: float | None = poll_seconds
        # TOPUP_EXPIRY_MINUTES: Crypto Pay expires the invoice itself and reports it.
        self.expiry_minutes = expiry_minutes

    async def aclose(self) -> None:
        await self._client.aclose()

    async def check_token(self) -> bool:
        """Say in the log, once at start-up, whether Crypto Pay takes the token (getMe)."""
        try:
            app = await self._client.get_me()
        except CryptoPayError as error:
            logger.error(
                "Crypto Pay refuses CRYPTOPAY_TOKEN (%s): crypto top-ups will fail until it is"
                " fixed; a testnet token needs CRYPTOPAY_API_URL=%s",
                error.name,
                TESTNET_API_URL,
            )
            return False
        except CryptoPayUnavailableError as error:
            logger.warning("Crypto Pay is not reachable at start-up (%s); polling goes on", error)
            return False
        logger.info("Crypto Pay app %r (id %s) is ready", app.get("name"), app.get("app_id"))
        return True

    async def create(self, user_id: int, amount: Money) -> Checkout:
        """An invoice for ``amount`` of the shop currency; TopupError if Crypto Pay fails."""
        self._limits.check(amount)
        topup_id = await self._repo.topups.create(
            rail=self.name, user_id=user_id, amount=amount, currency=self.currency
        )
        try:
            invoice = await self._client.create_invoice(
                fiat=self.currency,
                amount=amount,
                accepted_assets=self.assets,
                payload=str(topup_id),
                expires_in=self.expiry_minutes * 60,
            )
        except (CryptoPayError, CryptoPayUnavailableError) as error:
            await self._repo.topups.move(topup_id, FAILED, expected=(PENDING,))
            # Refused (a revoked token, a currency Crypto Pay does not take) is for the owner
            # to fix; unreachable may pass in a minute. Either way, another rail works now.
            refused = isinstance(error, CryptoPayError)
            log = logger.error if refused else logger.warning
            log("Crypto Pay gave no invoice for top-up %s: %s", topup_id, error)
            raise TopupError("cryptopay-refused" if refused else "cryptopay-unavailable") from None
        attached = await self._repo.topups.attach_invoice(
            topup_id,
            provider_payment_id=str(invoice.invoice_id),
            pay_url=invoice.bot_invoice_url,
            expires_at=invoice.expiration_date,
        )
        if not attached:
            logger.error("Crypto Pay invoice %s is already recorded", invoice.invoice_id)
            raise TopupError("cryptopay-unavailable")
        return Checkout(topup_id, amount, invoice.bot_invoice_url)

    async def poll(self) -> None:
        """Ask about every open invoice; settle those paid or expired."""
        await self._repo.topups.fail_stale(
            self.name, before=format_time(datetime.now(UTC) - STALE_CREATION)
        )
        open_topups = {
            int(topup.provider_payment_id): topup
            for topup in await self._repo.topups.open(self.name)
            if topup.provider_payment_id is not None and topup.provider_payment_id.isdecimal()
        }
        ids = sorted(open_topups)
        for start in range(0, len(ids), POLL_BATCH):
            try:
                invoices = await self._client.get_invoices(ids[start : start + POLL_BATCH])
            except (CryptoPayError, CryptoPayUnavailableError) as error:
                logger.warning("Crypto Pay poll failed, trying again next round: %s", error)
                return
            for invoice in invoices:
                topup = open_topups.get(invoice.invoice_id)
                if topup is None:
                    continue
                try:
                    await self.settle(topup, invoice)
                except Exception:
                    # One that fails every round must not keep the others from being credited.
                    logger.exception(
                        "Crypto Pay invoice %s (top-up %s) could not be settled; next round",
                        invoice.invoice_id,
                        topup.id,
                    )

    async def settle(self, topup: Topup, invoice: Invoice) -> bool:
        """Apply what Crypto Pay says about the invoice; True if this call changed anything."""
        if invoice.status == "paid":
            if invoice.currency_type != "fiat" or (
                topup.currency and invoice.fiat != topup.currency
            ):
                logger.error(
                    "Crypto Pay invoice %s is not in %s; top-up %s left for an admin",
                    invoice.invoice_id,
                    topup.currency,
                    topup.id,
                )
                return False
            settled = await self._crediting.credit(
                topup,
                provider_payment_id=str(invoice.invoice_id),
                amount=invoice.amount,
                note=f"Crypto Pay invoice {invoice.invoice_id}",
                expected=PAYABLE_STATUSES,
            )
            return settled.first_time
        if invoice.status == "expired":
            return await self._crediting.close(topup, EXPIRED, expected=(PENDING,))
        return False

    async def take_webhook(self, body: bytes, signature_header: str | None) -> WebhookAnswer:
        """One webhook request: verified, parsed and applied; the answer to give."""
        expected = signature(self._token, body)
        if not signature_header or not hmac.compare_digest(
            expected.encode(), signature_header.strip().lower().encode()
        ):
            logger.warning("Crypto Pay webhook refused: bad signature")
            return WebhookAnswer(401, {"error": "bad signature"})
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than it recurses
            return WebhookAnswer(400, {"error": "the body is not JSON"})
        if not isinstance(update, dict):
            return WebhookAnswer(400, {"error": "the body is not a JSON object"})
        if update.get("update_type") != "invoice_paid":
            return WebhookAnswer(200, {"ok": True})
        try:
            invoice = parse_invoice(update.get("payload"))
        except ValueError as error:
            return WebhookAnswer(400, {"error": f"bad invoice: {error}"})
        topup = await self._topup_for(invoice)
        if topup is None:
            logger.warning("Crypto Pay invoice %s paid, but no top-up has it", invoice.invoice_id)
            return WebhookAnswer(200, {"ok": True})
        await self.settle(topup, invoice)
        return WebhookAnswer(200, {"ok": True})

    async def _topup_for(self, invoice: Invoice) -> Topup | None:
        topup = await self._repo.topups.by_provider_id(self.name, str(invoice.invoice_id))
        if topup is not None:
            return topup
        # createInvoice went through but its answer never reached us: the payload names the row.
        payload = invoice.payload or ""
        if not payload.isdecimal() or len(payload) > 18:
            return None
        topup = await self._repo.topups.get(int(payload))
        if topup is None or topup.rail != self.name or topup.provider_payment_id is not None:
            return None
        return topup
