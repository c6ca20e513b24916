"""Typed results of the upstream API, already parsed from whatever a panel sent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

# Service types the storefront can order correctly; others are hidden from the catalog.
TYPE_DEFAULT = "Default"
TYPE_PACKAGE = "Package"
TYPE_CUSTOM_COMMENTS = "Custom Comments"
TYPE_POLL = "Poll"
SUPPORTED_SERVICE_TYPES = frozenset({TYPE_DEFAULT, TYPE_PACKAGE, TYPE_CUSTOM_COMMENTS, TYPE_POLL})

# Canonical order statuses (as in the reference); panels' spellings are mapped onto these.
STATUS_PENDING = "Pending"
STATUS_IN_PROGRESS = "In progress"
STATUS_PROCESSING = "Processing"
STATUS_COMPLETED = "Completed"
STATUS_PARTIAL = "Partial"
STATUS_CANCELED = "Canceled"
FINAL_STATUSES = frozenset({STATUS_COMPLETED, STATUS_PARTIAL, STATUS_CANCELED})


@dataclass(frozen=True, slots=True)
class PanelService:
    service_id: int
    name: str
    type: str
    category: str
    rate: Decimal  # per 1000 units, or per package for Package services
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class NewOrder:
    """Everything an ``add`` call needs. ``quantity`` is None for packages."""

    service_id: int
    link: str
    quantity: int | None = None
    runs: int | None = None  # drip-feed
    interval: int | None = None  # drip-feed, minutes
    comments: str | None = None  # Custom Comments: newline-separated
    answer_number: str | None = None  # Poll

    def to_params(self) -> dict[str, str]:
        params = {"service": str(self.service_id), "link": self.link}
        optional = {
            "quantity": self.quantity,
            "runs": self.runs,
            "interval": self.interval,
            "comments": self.comments,
            "answer_number": self.answer_number,
        }
        params.update({name: str(value) for name, value in optional.items() if value is not None})
        return params


@dataclass(frozen=True, slots=True)
class OrderStatus:
    status: str  # canonical spelling when known, else what the panel sent
    charge: Decimal | None = None
    start_count: int | None = None
    remains: int | None = None
    currency: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class ItemError:
    """One id of a batch call failed. ``transient`` means: the call itself failed, ask again."""

    message: str
    transient: bool = False


@dataclass(frozen=True, slots=True)
class PanelBalance:
    amount: Decimal
    currency: str


class PanelAPI(Protocol):
    """The upstream panel as the storefront sees it: the HTTP client and the demo sandbox."""

    async def services(self) -> list[PanelService]: ...

    async def add(self, order: NewOrder) -> int:
        """Place an order; returns the panel's order id."""
        ...

    async def status(self, order_id: int) -> OrderStatus: ...

    async def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus | ItemError]: ...

    async def refill(self, order_id: int) -> int:
        """Ask for a refill; returns the refill id."""
        ...

    async def refills(self, order_ids: list[int]) -> dict[int, int | ItemError]: ...

    async def refill_status(self, refill_id: int) -> str: ...

    async def refill_statuses(self, refill_ids: list[int]) -> dict[int, str | ItemError]: ...

    async def cancel(self, order_ids: list[int]) -> dict[int, ItemError | None]:
        """Ask to cancel orders; ``None`` means the panel accepted the request for that id."""
        ...

    async def balance(self) -> PanelBalance: ...

    async def aclose(self) -> None: ...
