"""The upstream SMM panel: the HTTP client, the demo sandbox and the types they share."""

from bot.upstream.errors import (
    PanelOutcomeUnknownError,
    PanelRefusedError,
    PanelUnreachableError,
    UpstreamError,
)
from bot.upstream.types import (
    FINAL_STATUSES,
    SUPPORTED_SERVICE_TYPES,
    ItemError,
    NewOrder,
    OrderStatus,
    PanelAPI,
    PanelBalance,
    PanelService,
)

__all__ = [
    "FINAL_STATUSES",
    "SUPPORTED_SERVICE_TYPES",
    "ItemError",
    "NewOrder",
    "OrderStatus",
    "PanelAPI",
    "PanelBalance",
    "PanelOutcomeUnknownError",
    "PanelRefusedError",
    "PanelService",
    "PanelUnreachableError",
    "UpstreamError",
]
