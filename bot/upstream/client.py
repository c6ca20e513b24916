"""HTTP client for a Standard SMM API v2 panel (one endpoint, form POSTs, JSON answers).

The one rule everything here serves: a request that may have reached the panel is never sent
again automatically. Failures are sorted into three kinds (see :mod:`bot.upstream.errors`):
the panel said no (:class:`PanelRefusedError`), the request provably never left
(:class:`PanelUnreachableError`, retried here a few times), or nobody can tell
(:class:`PanelOutcomeUnknownError`, never retried: for ``add`` that is an order for an admin).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Self, TypeVar
from urllib.parse import quote, quote_plus

import httpx

from bot.core.money import parse_decimal
from bot.upstream.errors import (
    PanelOutcomeUnknownError,
    PanelRefusedError,
    PanelUnreachableError,
    UpstreamError,
)
from bot.upstream.parsing import (
    error_text,
    normalize_refill_status,
    parse_bool,
    parse_int,
    parse_order_status,
    parse_positive_id,
    parse_service,
    parse_text,
)
from bot.upstream.types import ItemError, NewOrder, OrderStatus, PanelBalance, PanelService

logger = logging.getLogger(__name__)

# The reference caps every batch form at 100 ids; panels answer more with "Incorrect request".
BATCH_LIMIT = 100
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
# A catalog of thousands of services can take a while to render on a busy panel.
SERVICES_READ_TIMEOUT_FACTOR = 4
# Some panels (or the Cloudflare in front of them) refuse obvious non-browser clients.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
# Raised before any byte of the request left this process, so a retry cannot double anything.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_SNIPPET_LENGTH = 160
_WHITESPACE = re.compile(r"\s+")
_ID_LIST = re.compile(r"[0-9,]*")
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_MALFORMED_EXAMPLES_LOGGED = 5

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Reply:
    body: object
    http_status: int


class HttpPanelClient:
    """The :class:`~bot.upstream.types.PanelAPI` over HTTP, tolerant of real panels' quirks."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | None = None,
        max_concurrency: int = 4,
        connect_retries: int = 2,
        retry_backoff: float = 0.3,
    ) -> None:
        url = httpx.URL(api_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the panel API URL must be an absolute http(s) URL")
        if max_concurrency < 1 or connect_retries < 0 or retry_backoff < 0:
            raise ValueError("max_concurrency >= 1, connect_retries >= 0, retry_backoff >= 0")
        self._api_url = api_url
        self._url = url  # parsed once: httpx parses a string URL again on every request
        self._api_key = api_key
        # The form's tail, encoded once: every request carries it.
        self._key_field = f"key={quote_plus(api_key)}"
        # Longest first, so the plain key is not half-replaced inside its encoded form.
        self._secrets = sorted(
            {secret for secret in (api_key, quote_plus(api_key), quote(api_key)) if secret},
            key=len,
            reverse=True,
        )
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()
        self._headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json, */*;q=0.5",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._connect_retries = connect_retries
        self._retry_backoff = retry_backoff

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self._redact(self._api_url)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it; a shared one is left open."""
        if self._owns_http:
            await self._http.aclose()

    # --- actions -----------------------------------------------------------------------------

    async def services(self) -> list[PanelService]:
        """The catalog; malformed entries are skipped and logged, not fatal."""
        reply = await self._call("services", http_timeout=self._services_timeout())
        if not isinstance(reply.body, list):
            raise self._unexpected("services", reply, "the catalog is not a list")
        services: list[PanelService] = []
        seen: set[int] = set()
        problems: list[str] = []
        for entry in reply.body:
            try:
                service = parse_service(entry)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if service.service_id in seen:
                problems.append(f"service {service.service_id}: listed twice, first kept")
                continue
            seen.add(service.service_id)
            services.append(service)
        if problems:
            examples = "; ".join(problems[:_MALFORMED_EXAMPLES_LOGGED])
            logger.warning(
                "panel services: skipped %d malformed entries of %d, e.g. %s",
                len(problems),
                len(reply.body),
                self._snippet(examples, limit=_SNIPPET_LENGTH * 3),
            )
        return services

    async def add(self, order: NewOrder) -> int:
        """Place an order once; an answer without an order id is an unknown outcome."""
        reply = await self._call("add", order.to_params())
        value = reply.body.get("order") if isinstance(reply.body, dict) else None
        refusal = error_text(value)
        if refusal is not None:
            raise self._fail(PanelRefusedError, "add", refusal, reply.http_status)
        order_id = parse_positive_id(value)
        if order_id is None:
            raise self._unexpected("add", reply, "no order id in the answer (it may exist)")
        return order_id

    async def status(self, order_id: int) -> OrderStatus:
        reply = await self._call("status", {"order": str(order_id)})
        body = reply.body
        # A few panels answer the single form keyed by id, like the batch form.
        if isinstance(body, dict) and "status" not in body and str(order_id) in body:
            body = body[str(order_id)]
            refusal = error_text(body)
            if refusal is not None:
                raise self._fail(PanelRefusedError, "status", refusal, reply.http_status)
        try:
            return parse_order_status(body)
        except ValueError as exc:
            raise self._unexpected("status", reply, str(exc)) from None

    async def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus | ItemError]:
        """Statuses of any number of orders, 100 per call; every id gets a result."""
        return await self._batch(
            "status",
            "orders",
            order_ids,
            id_field="order",
            value_field=None,
            single_key="status",
            read_value=parse_order_status,
        )

    async def refill(self, order_id: int) -> int:
        reply = await self._call("refill", {"order": str(order_id)})
        value = reply.body.get("refill") if isinstance(reply.body, dict) else None
        refusal = error_text(value)
        if refusal is not None:
            raise self._fail(PanelRefusedError, "refill", refusal, reply.http_status)
        refill_id = parse_positive_id(value)
        if refill_id is None:
            raise self._unexpected("refill", reply, "no refill id in the answer (it may exist)")
        return refill_id

    async def refills(self, order_ids: list[int]) -> dict[int, int | ItemError]:
        return await self._batch(
            "refill",
            "orders",
            order_ids,
            id_field="order",
            value_field="refill",
            single_key="refill",
            read_value=_read_refill_id,
        )

    async def refill_status(self, refill_id: int) -> str:
        reply = await self._call("refill_status", {"refill": str(refill_id)})
        value = reply.body.get("status") if isinstance(reply.body, dict) else None
        refusal = error_text(value)
        if refusal is not None:
            raise self._fail(PanelRefusedError, "refill_status", refusal, reply.http_status)
        try:
            return _read_refill_status(value)
        except ValueError as exc:
            raise self._unexpected("refill_status", reply, str(exc)) from None

    async def refill_statuses(self, refill_ids: list[int]) -> dict[int, str | ItemError]:
        return await self._batch(
            "refill_status",
            "refills",
            refill_ids,
            id_field="refill",
            value_field="status",
            single_key="status",
            read_value=_read_refill_status,
        )

    async def cancel(self, order_ids: list[int]) -> dict[int, ItemError | None]:
        """Ask to cancel; ``None`` for an id means the panel accepted the request."""
        return await self._batch(
            "cancel",
            "orders",
            order_ids,
            id_field="order",
            value_field="cancel",
            single_key="cancel",
            read_value=_read_cancel,
        )

    async def balance(self) -> PanelBalance:
        reply = await self._call("balance")
        body = reply.body if isinstance(reply.body, dict) else {}
        amount = parse_decimal(body.get("balance"))
        if amount is None:
            raise self._unexpected("balance", reply, "no usable balance in the answer")
        # Empty rather than a guess when the panel does not name its currency.
        return PanelBalance(amount=amount, currency=parse_text(body.get("currency")) or "")

    # --- batches -----------------------------------------------------------------------------

    async def _batch(
        self,
        action: str,
        ids_param: str,
        ids: list[int],
        *,
        id_field: str,
        value_field: str | None,
        single_key: str,
        read_value: Callable[[object], T | ItemError],
    ) -> dict[int, T | ItemError]:
        unique = list(dict.fromkeys(ids))
        chunks = [
            unique[start : start + BATCH_LIMIT] for start in range(0, len(unique), BATCH_LIMIT)
        ]
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    self._chunk(
                        action,
                        ids_param,
                        chunk,
                        id_field=id_field,
                        value_field=value_field,
                        single_key=single_key,
                        read_value=read_value,
                    )
                )
                for chunk in chunks
            ]
        results: dict[int, T | ItemError] = {}
        for task in tasks:
            results.update(task.result())
        return results

    async def _chunk(
        self,
        action: str,
        ids_param: str,
        chunk: list[int],
        *,
        id_field: str,
        value_field: str | None,
        single_key: str,
        read_value: Callable[[object], T | ItemError],
    ) -> dict[int, T | ItemError]:
        context = f"batch of {len(chunk)} ids from {chunk[0]}"
        try:
            reply = await self._call(
                action, {ids_param: ",".join(map(str, chunk))}, context=context
            )
            try:
                items = _index_items(reply.body, chunk, id_field, value_field, single_key)
            except ValueError as exc:
                raise self._unexpected(action, reply, str(exc), context=context) from None
        except UpstreamError as error:
            # Already logged once by _fail; the caller asks again for these ids later.
            return {item_id: ItemError(error.detail, transient=True) for item_id in chunk}
        results: dict[int, T | ItemError] = {}
        unreadable = 0
        for item_id in chunk:
            if item_id not in items:
                results[item_id] = ItemError("missing from the panel's answer")
                continue
            value = items[item_id]
            refusal = error_text(value)
            if refusal is not None:
                results[item_id] = ItemError(self._snippet(refusal))
                continue
            try:
                results[item_id] = read_value(value)
            except ValueError as exc:
                unreadable += 1
                message = self._snippet(f"unreadable answer: {exc}")
                results[item_id] = ItemError(message, transient=True)
        if unreadable:
            logger.warning("panel %s: %d unreadable items in a %s", action, unreadable, context)
        return results

    # --- transport ---------------------------------------------------------------------------

    async def _call(
        self,
        action: str,
        params: Mapping[str, str] | None = None,
        *,
        http_timeout: httpx.Timeout | None = None,
        context: str = "",
    ) -> _Reply:
        """One POST, with connect failures retried; returns a decoded body that is no refusal."""
        body = self._form(action, params)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._semaphore:
                    response = await self._http.post(
                        self._url,
                        content=body,
                        headers=self._headers,
                        timeout=http_timeout or self._timeout,
                    )
                break
            except _NOT_SENT_ERRORS as exc:
                detail = f"not sent: {_describe(exc)}"
                if attempt > self._connect_retries:
                    detail = f"not sent in {attempt} attempts: {_describe(exc)}"
                    raise self._fail(
                        PanelUnreachableError, action, detail, context=context
                    ) from None
                delay = self._retry_backoff * 2 ** (attempt - 1)
                logger.info(
                    "panel %s: %s; retry %d of %d in %.2fs",
                    action,
                    self._snippet(detail),
                    attempt,
                    self._connect_retries,
                    delay,
                )
                await asyncio.sleep(delay)
            except (httpx.HTTPError, OSError) as exc:
                # Sent, or partly sent: the panel may have acted on it. Never resent.
                detail = f"sent, no usable answer: {_describe(exc)}"
                raise self._fail(
                    PanelOutcomeUnknownError, action, detail, context=context
                ) from None
        return self._decode(action, response, context)

    def _form(self, action: str, params: Mapping[str, str] | None) -> bytes:
        """The request body, as ``data=`` would encode it, for a fraction of the work: a
        batch's ids (digits and commas) need no quoting but of their commas, and the key's
        field is encoded once (httpx's form encoding of a 100-id batch cost ~40 µs a call)."""
        fields = [
            f"{quote_plus(name)}={_encode_value(value)}"
            for name, value in (params or {}).items()
            if name not in ("key", "action")  # what the client sets wins, as it always did
        ]
        fields += (self._key_field, f"action={quote_plus(action)}")
        return "&".join(fields).encode()

    def _decode(self, action: str, response: httpx.Response, context: str) -> _Reply:
        status = response.status_code
        raw = response.content
        if not raw.strip():
            raise self._fail(
                PanelOutcomeUnknownError,
                action,
                f"HTTP {status} with an empty body",
                status,
                context,
            )
        try:
            body: object = json.loads(raw, parse_float=Decimal)
        except (ValueError, RecursionError):
            title = _HTML_TITLE.search(raw)
            if title is not None:
                text = title.group(1).decode("utf-8", errors="replace")
                detail = f"HTTP {status} with an HTML page: {text}"
            else:
                text = raw.decode("utf-8", errors="replace")
                detail = f"HTTP {status} with a body that is not JSON: {text}"
            raise self._fail(PanelOutcomeUnknownError, action, detail, status, context) from None
        refusal = error_text(body)
        if refusal is not None:
            # The panel's own "no", whatever the HTTP status: nothing was done.
            raise self._fail(PanelRefusedError, action, refusal, status, context)
        if not 200 <= status < 300:
            detail = f"HTTP {status} without a panel error: {_dump(body)}"
            raise self._fail(PanelOutcomeUnknownError, action, detail, status, context)
        return _Reply(body=body, http_status=status)

    def _unexpected(
        self, action: str, reply: _Reply, problem: str, *, context: str = ""
    ) -> UpstreamError:
        detail = f"unexpected answer ({problem}): {_dump(reply.body)}"
        return self._fail(PanelOutcomeUnknownError, action, detail, reply.http_status, context)

    def _fail(
        self,
        kind: type[UpstreamError],
        action: str,
        detail: str,
        http_status: int | None = None,
        context: str = "",
    ) -> UpstreamError:
        """Build the error with the key redacted and log it: the one place failures are logged."""
        safe_detail = self._snippet(detail)
        logger.warning(
            "panel %s failed%s: %s (HTTP %s): %s",
            action,
            f" ({context})" if context else "",
            kind.__name__,
            http_status if http_status is not None else "-",
            safe_detail,
        )
        return kind(safe_detail, action=action, http_status=http_status)

    def _services_timeout(self) -> httpx.Timeout:
        timeout = self._timeout
        read = None if timeout.read is None else timeout.read * SERVICES_READ_TIMEOUT_FACTOR
        return httpx.Timeout(
            connect=timeout.connect, read=read, write=timeout.write, pool=timeout.pool
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _snippet(self, text: str, *, limit: int = _SNIPPET_LENGTH) -> str:
        # Redact before cutting, so a cut can never leave the key whole.
        text = self._redact(_WHITESPACE.sub(" ", text).strip())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _encode_value(value: str) -> str:
    if _ID_LIST.fullmatch(value):
        return value.replace(",", "%2C")
    return quote_plus(value)


def _describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _dump(body: object) -> str:
    return json.dumps(body, default=str, ensure_ascii=False)[: _SNIPPET_LENGTH * 2]


def _index_items(
    body: object, chunk: list[int], id_field: str, value_field: str | None, single_key: str
) -> dict[int, object]:
    """Per-id values from either batch shape: ``{"1": ...}`` or ``[{"order": 1, ...}]``."""
    items: dict[int, object] = {}
    if isinstance(body, dict):
        if len(chunk) == 1 and single_key in body and str(chunk[0]) not in body:
            # The single form despite the batch parameter: some panels do that for one id.
            items[chunk[0]] = _unwrap(body, value_field)
            return items
        for key, value in body.items():
            item_id = parse_int(key)
            if item_id is None:
                raise ValueError(f"key {key!r} is not an id")
            items[item_id] = _unwrap(value, value_field)
        return items
    if isinstance(body, list):
        for element in body:
            item_id = parse_int(element.get(id_field)) if isinstance(element, dict) else None
            if item_id is None:
                raise ValueError(f"element without a usable {id_field!r}")
            items[item_id] = _unwrap(element, value_field)
        return items
    raise ValueError(f"a {type(body).__name__} where an object or list belongs")


def _unwrap(value: object, value_field: str | None) -> object:
    if value_field is not None and isinstance(value, dict) and value_field in value:
        return value[value_field]
    return value


def _read_refill_id(value: object) -> int:
    refill_id = parse_positive_id(value)
    if refill_id is None:
        raise ValueError(f"no refill id in {_dump(value)}")
    return refill_id


def _read_refill_status(value: object) -> str:
    text = parse_text(value)
    if text is None:
        raise ValueError(f"no refill status in {_dump(value)}")
    return normalize_refill_status(text)


def _read_cancel(value: object) -> ItemError | None:
    accepted = parse_bool(value)
    if accepted is None:
        raise ValueError(f"no cancel flag in {_dump(value)}")
    return None if accepted else ItemError("the panel did not accept the cancel request")
