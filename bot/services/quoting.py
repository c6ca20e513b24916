"""Quotes confirmed in a second request (the Mini App): issue one, place its order once.

The chat keeps the quote it showed in the FSM data; a web client has no chat state, so the
quote is stored under its token instead. Placing goes through the same
:meth:`OrderingService.place` as the chat's Confirm button, and the quote's token becomes the
order's ``confirm_token``: its UNIQUE constraint, not this code, is what makes a second
confirmation of one quote (a double tap, two racing requests) place and charge nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.errors import (
    ConfirmationExpiredError,
    OrderAlreadyPlacedError,
    OrderOutcomeUnknownError,
    OrderRefusedError,
    PanelUnavailableError,
    ServiceUnavailableError,
    StorefrontError,
)
from bot.services.catalog import Pricing, is_package
from bot.services.ordering import (
    OrderingService,
    Quote,
    is_telegram_service,
    make_quote,
    normalize_link,
    parse_answer_number,
    parse_comments,
    parse_quantity,
)
from bot.upstream.types import TYPE_CUSTOM_COMMENTS, TYPE_POLL
from storage.orders import Order
from storage.repository import Repository

# As long as the Mini App's own sign-in lasts: a quote left open overnight is still honoured.
QUOTE_LIFETIME = timedelta(hours=24)
_STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class Placement:
    """The order a confirmation leads to, and what the customer is to be told about it."""

    order: Order
    # The token had already placed this order: nothing new was charged or sent to the panel.
    duplicate: bool = False
    # Set when the panel refused, could not be reached, or left the outcome unknown.
    outcome: StorefrontError | None = None


class QuoteBook:
    def __init__(self, repo: Repository, ordering: OrderingService, pricing: Pricing) -> None:
        self._repo = repo
        self._ordering = ordering
        self._pricing = pricing

    async def quote(
        self,
        user_id: int,
        *,
        service_id: int,
        link: str,
        quantity: str,
        comments: str = "",
        answer_number: str = "",
    ) -> Quote:
        """Validate the answers exactly as the chat's order flow does, price and keep them."""
        service = await self._repo.catalog.service(service_id)
        if service is None or not service.offered:
            raise ServiceUnavailableError()
        clean_link = normalize_link(link, telegram=is_telegram_service(service))
        if is_package(service.type):
            quote = make_quote(service, self._pricing, link=clean_link, quantity=None)
        elif service.type == TYPE_CUSTOM_COMMENTS:
            lines = parse_comments(comments, service.min_quantity, service.max_quantity)
            quote = make_quote(
                service, self._pricing, link=clean_link, quantity=len(lines), comments=lines
            )
        else:
            count = parse_quantity(quantity, service.min_quantity, service.max_quantity)
            answer = parse_answer_number(answer_number) if service.type == TYPE_POLL else None
            quote = make_quote(
                service, self._pricing, link=clean_link, quantity=count, answer_number=answer
            )
        now = datetime.now(UTC)
        await self._repo.quotes.prune(before=(now - QUOTE_LIFETIME).strftime(_STAMP))
        await self._repo.quotes.save(quote.token, user_id, quote.to_data())
        return quote

    async def place(self, user_id: int, token: str) -> Placement:
        """Place the order of the user's quote ``token``, or return the one it already placed.

        Raises NotEnoughBalanceError (nothing charged) and ConfirmationExpiredError (no such
        quote of this user's, or too old).
        """
        placed = await self._repo.orders.by_token(token)
        if placed is not None and placed.user_id == user_id:
            return Placement(placed, duplicate=True)
        since = (datetime.now(UTC) - QUOTE_LIFETIME).strftime(_STAMP)
        data = await self._repo.quotes.get(token, user_id, since=since)
        if data is None:
            raise ConfirmationExpiredError()
        quote = Quote.from_data(data)
        try:
            return Placement(await self._ordering.place(user_id, quote))
        except OrderAlreadyPlacedError:
            # Another request with the same token got there first (its order may still be
            # on its way to the panel): this one is the duplicate.
            return Placement(await self._placed(token), duplicate=True)
        except (OrderRefusedError, PanelUnavailableError, OrderOutcomeUnknownError) as error:
            return Placement(await self._placed(token), outcome=error)

    async def _placed(self, token: str) -> Order:
        order = await self._repo.orders.by_token(token)
        if order is None:  # pragma: no cover - the order row committed before the panel call
            raise LookupError(f"no order for confirmation {token}")
        return order
