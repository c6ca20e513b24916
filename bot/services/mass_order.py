"""Mass orders: many ``service_id | link | quantity`` lines, one card, one Confirm.

Each line is checked and priced exactly as the single order flow would (same link and
quantity rules, same price), and on Confirm each valid line goes through
:meth:`OrderingService.place` on its own: its charge and order commit together, an unknown
outcome is never resent, a refusal refunds that line only, and the other lines go on. Every
line carries its own confirm token (``<batch token>.<line number>``), so a second Confirm of
the same card cannot charge any line twice.

A pending percent promo (bot/services/promotions.py) is "the customer's next order": in a
mass order that is the first valid line, whose price on the card already has it off. That
line spends it when it is charged (a refused line gives it back for the next order, not to
the following lines); if it was spent meanwhile on another order, that line is not placed and
says why, and the other lines go on.

Only services ordered with a link and a quantity can be mass-ordered: Default services, and
Packages (quantity 1, or left out). Custom Comments and Poll need more than a quantity (the
comments, the answer's number) and are refused with a reason; order them one by one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import (
    MassLineError,
    NotEnoughBalanceError,
    OrderAlreadyPlacedError,
    OrderOutcomeUnknownError,
    OrderRefusedError,
    PanelUnavailableError,
    PromoDiscountUsedError,
    StorefrontError,
)
from bot.core.money import Money
from bot.services.catalog import Pricing, is_package
from bot.services.ordering import (
    OrderingService,
    Quote,
    is_telegram_service,
    make_quote,
    normalize_link,
    parse_quantity,
)
from bot.services.promotions import with_pending_discount
from bot.upstream.types import TYPE_DEFAULT, TYPE_PACKAGE
from storage.repository import Repository

MAX_LINES = 100
MAX_LINE_LENGTH = 2_500
MAX_TEXT_LENGTH = 50_000
MASS_TYPES = frozenset({TYPE_DEFAULT, TYPE_PACKAGE})


@dataclass(frozen=True, slots=True)
class MassLine:
    """One line as the customer sent it: a quote to place, or why it cannot be."""

    number: int
    quote: Quote | None
    error: StorefrontError | None = None


@dataclass(frozen=True, slots=True)
class MassDraft:
    token: str
    lines: list[MassLine]

    @property
    def valid(self) -> list[Quote]:
        return [line.quote for line in self.lines if line.quote is not None]

    @property
    def total(self) -> Money:
        total = Money.zero()
        for quote in self.valid:
            total = total + quote.price
        return total

    def to_data(self) -> dict[str, Any]:
        """What Confirm needs, for the FSM data (JSON): the token and the valid quotes."""
        return {
            "token": self.token,
            "lines": [
                {"number": line.number, "quote": line.quote.to_data()}
                for line in self.lines
                if line.quote is not None
            ],
        }


@dataclass(frozen=True, slots=True)
class ConfirmedBatch:
    token: str
    lines: list[tuple[int, Quote]]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ConfirmedBatch:
        return cls(
            token=str(data["token"]),
            lines=[(int(item["number"]), Quote.from_data(item["quote"])) for item in data["lines"]],
        )


PLACED = "placed"
REFUSED = "refused"
UNKNOWN = "unknown"
ALREADY = "already"


@dataclass(frozen=True, slots=True)
class LineOutcome:
    number: int
    quote: Quote
    outcome: str  # placed | refused | unknown | already
    order_id: int | None = None
    reason: StorefrontError | None = None


@dataclass(slots=True)
class MassResult:
    outcomes: list[LineOutcome] = field(default_factory=list)

    @property
    def charged(self) -> Money:
        """What the placed and being-verified lines cost (refused lines were refunded)."""
        total = Money.zero()
        for item in self.outcomes:
            if item.outcome in (PLACED, UNKNOWN):
                total = total + item.quote.price
        return total

    @property
    def nothing_new(self) -> bool:
        """Every line had been placed by an earlier press of the same Confirm."""
        return all(item.outcome == ALREADY for item in self.outcomes)


def _fields(text: str) -> list[str]:
    return [part.strip() for part in text.split("|")]


class MassOrders:
    def __init__(self, repo: Repository, pricing: Pricing, ordering: OrderingService) -> None:
        self._repo = repo
        self._pricing = pricing
        self._ordering = ordering
        # Batches being placed now, so a second press of the same Confirm waits its turn
        # out instead of racing the first line by line (the lines' tokens would still stop
        # any double charge, across restarts too).
        self._placing: set[str] = set()

    def claim(self, token: str) -> bool:
        if token in self._placing:
            return False
        self._placing.add(token)
        return True

    def release(self, token: str) -> None:
        self._placing.discard(token)

    async def parse(self, text: str, user_id: int) -> MassDraft:
        """Check and price every line of the user's text (the first valid one with their
        pending discount); raises MassLineError for a text out of bounds."""
        if len(text) > MAX_TEXT_LENGTH:
            raise MassLineError("mass-too-long", max=MAX_LINES)
        raw_lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not raw_lines:
            raise MassLineError("mass-empty")
        if len(raw_lines) > MAX_LINES:
            raise MassLineError("mass-too-many", max=MAX_LINES, count=len(raw_lines))
        token = secrets.token_urlsafe(9)
        lines = []
        discounted = False
        for number, raw in enumerate(raw_lines, start=1):
            try:
                quote = await self._line(raw, f"{token}.{number}")
            except StorefrontError as error:
                lines.append(MassLine(number, None, error))
            else:
                if not discounted:
                    discounted = True
                    quote = await with_pending_discount(self._repo, user_id, quote)
                lines.append(MassLine(number, quote))
        return MassDraft(token, lines)

    async def _line(self, raw: str, token: str) -> Quote:
        parts = _fields(raw[:MAX_LINE_LENGTH])
        if len(parts) == 2:
            parts.append("")
        if len(parts) != 3 or not parts[0].isascii() or not parts[0].isdigit():
            raise MassLineError("mass-reason-format")
        if len(parts[0]) > 15:
            raise MassLineError("mass-reason-unknown-service", service_id=parts[0][:15])
        service = await self._repo.catalog.service(int(parts[0]))
        if service is None or not service.offered:
            raise MassLineError("mass-reason-unknown-service", service_id=parts[0])
        if service.type not in MASS_TYPES:
            raise MassLineError("mass-reason-type", service=service.name)
        try:
            link = normalize_link(parts[1], telegram=is_telegram_service(service))
        except StorefrontError:
            raise MassLineError("mass-reason-link") from None
        if is_package(service.type) and parts[2] in ("", "1"):
            quantity = None
        else:
            try:
                quantity = parse_quantity(parts[2], service.min_quantity, service.max_quantity)
            except StorefrontError:
                raise MassLineError(
                    "mass-reason-quantity", min=service.min_quantity, max=service.max_quantity
                ) from None
        quote = make_quote(service, self._pricing, link=link, quantity=quantity)
        return Quote.from_data({**quote.to_data(), "token": token})

    async def place(self, user_id: int, batch: ConfirmedBatch) -> MassResult:
        """Charge and place each line in turn; one line's failure never stops the others."""
        result = MassResult()
        for number, quote in batch.lines:
            result.outcomes.append(await self._place_line(user_id, number, quote))
        return result

    async def _place_line(self, user_id: int, number: int, quote: Quote) -> LineOutcome:
        try:
            order = await self._ordering.place(user_id, quote)
        except OrderAlreadyPlacedError:
            existing = await self._repo.orders.by_token(quote.token)
            return LineOutcome(number, quote, ALREADY, existing.id if existing else None)
        except (NotEnoughBalanceError, PromoDiscountUsedError) as error:  # nothing charged
            return LineOutcome(number, quote, REFUSED, reason=error)
        except (OrderRefusedError, PanelUnavailableError) as error:  # refunded
            return LineOutcome(
                number, quote, REFUSED, int(error.arguments["order_id"]), reason=error
            )
        except OrderOutcomeUnknownError as error:
            return LineOutcome(number, quote, UNKNOWN, int(error.arguments["order_id"]))
        return LineOutcome(number, quote, PLACED, order.id)
