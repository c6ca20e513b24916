"""Quotes confirmed in a second request (the Mini App): issue one, place its order once.

The chat keeps the quote it showed in the FSM data; a web client has no chat state, so the
quote is stored under its token instead. Placing goes through the same
:meth:`OrderingService.place` as the chat's Confirm button, and the quote's token becomes the
order's ``confirm_token``: its UNIQUE constraint, not this code, is what makes a second
confirmation of one quote (a double tap, two racing requests) place and charge nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.errors import (
    ConfirmationExpiredError,
    DripfeedUnavailableError,
    OrderAlreadyPlacedError,
    OrderOutcomeUnknownError,
    OrderRefusedError,
    PanelUnavailableError,
    ServiceUnavailableError,
    StorefrontError,
)
from bot.services import order_form
from bot.services.catalog import Pricing
from bot.services.ordering import OrderingService, Quote
from bot.services.promotions import with_pending_discount
from storage.database import format_time
from storage.orders import Order
from storage.repository import Repository

# As long as the Mini App's own sign-in lasts: a quote left open overnight is still honoured.
QUOTE_LIFETIME = timedelta(hours=24)


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
        self, user_id: int, service_id: int, fields: Mapping[str, str], *, dripfeed: bool = False
    ) -> Quote:
        """Walk the chat's order form with the answers given all at once (``fields``: the
        text of each answer by its key, ``link``, ``quantity``…), price and keep the quote.

        Raises the form's own StorefrontError for the first answer that does not fit.
        """
        service = await self._repo.catalog.service(service_id)
        if service is None or not service.offered:
            raise ServiceUnavailableError()
        answers: dict[str, Any] = {}
        if dripfeed:
            if not order_form.offers_dripfeed(service):
                raise DripfeedUnavailableError()
            answers = order_form.choose_dripfeed(answers)
        while (step := order_form.next_step(service, answers)) is not None:
            answers = order_form.give_answer(step, service, answers, fields.get(step.key, ""))
        # The customer's pending percent promo, as on the chat's card; spent only when the
        # order is charged (OrderingService.place), so a quote left unconfirmed keeps it.
        quote = await with_pending_discount(
            self._repo, user_id, order_form.quote(service, self._pricing, answers)
        )
        now = datetime.now(UTC)
        await self._repo.quotes.prune(before=format_time(now - QUOTE_LIFETIME))
        await self._repo.quotes.save(quote.token, user_id, quote.to_data())
        return quote

    async def place(self, user_id: int, token: str) -> Placement:
        """Place the order of the user's quote ``token``, or return the one it already placed.

        Raises NotEnoughBalanceError (nothing charged), ConfirmationExpiredError (no such
        quote of this user's, or too old) and PromoDiscountUsedError (the quote's discount
        was spent on another order meanwhile: nothing charged).
        """
        placed = await self._repo.orders.by_token(token)
        if placed is not None and placed.user_id == user_id:
            return Placement(placed, duplicate=True)
        since = format_time(datetime.now(UTC) - QUOTE_LIFETIME)
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
