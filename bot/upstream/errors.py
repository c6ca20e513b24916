"""What can go wrong when talking to the upstream panel, in three kinds that need different care.

- :class:`PanelRefusedError`: the panel answered and said no (its ``error`` text is kept).
- :class:`PanelUnreachableError`: the request provably never reached the panel (connection
  refused, DNS failure, connect timeout): safe to retry, even for ``add``.
- :class:`PanelOutcomeUnknownError`: the request may have been processed (read timeout,
  dropped connection, HTML 5xx, unreadable body). An ``add`` in this state is never retried:
  the order goes to an admin to settle.
"""

from __future__ import annotations

from bot.upstream.refusals import Refusal, classify_refusal


class UpstreamError(Exception):
    """Base of every upstream failure. ``detail`` is for logs and admins, never has the key."""

    def __init__(self, detail: str, *, action: str = "", http_status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.action = action
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(action={self.action!r}, detail={self.detail!r})"


class PanelRefusedError(UpstreamError):
    """The panel understood the request and refused it; ``detail`` is the panel's own text."""

    @property
    def refusal(self) -> Refusal:
        return classify_refusal(self.detail)

    @property
    def is_insufficient_funds(self) -> bool:
        return self.refusal is Refusal.SUPPLIER_FUNDS

    @property
    def is_bad_key(self) -> bool:
        return self.refusal is Refusal.SUPPLIER_SETUP


class PanelUnreachableError(UpstreamError):
    """The request was not sent (or provably not received): retrying is safe."""


class PanelOutcomeUnknownError(UpstreamError):
    """The request may or may not have been processed by the panel."""
