"""Domain errors: each names the translation that explains it to the user."""

from __future__ import annotations

from typing import Any


class StorefrontError(Exception):
    """An expected problem with a localized explanation (``message_id`` + ``arguments``)."""

    message_id = "error-generic"

    def __init__(self, **arguments: Any) -> None:
        super().__init__(self.message_id)
        self.arguments = arguments


class InvalidLinkError(StorefrontError):
    message_id = "order-link-invalid"


class InvalidQuantityError(StorefrontError):
    message_id = "order-quantity-invalid"


class InvalidCommentsError(StorefrontError):
    message_id = "order-comments-invalid"


class InvalidAnswerNumberError(StorefrontError):
    message_id = "order-answer-invalid"


class InvalidRunsError(StorefrontError):
    """Drip-feed runs outside the shop's bounds (1 means: deliver everything at once)."""

    message_id = "order-runs-invalid"


class InvalidIntervalError(StorefrontError):
    """Minutes between drip-feed runs outside the shop's bounds."""

    message_id = "order-interval-invalid"


class DripfeedUnavailableError(StorefrontError):
    """An order repeated with drip-feed on a service that no longer offers it."""

    message_id = "reorder-dripfeed-unavailable"


class LimitsChangedError(StorefrontError):
    """An order repeated with a quantity the service no longer takes: ``limit`` names the
    bound it crosses (``minimum`` or ``maximum``), ``previous`` what the order had."""

    message_id = "reorder-limits-changed"


class AnswerChangedError(StorefrontError):
    """An order repeated with an answer the service no longer accepts as it was."""

    message_id = "reorder-answer-changed"


class ServiceUnavailableError(StorefrontError):
    message_id = "service-unavailable"


class NotEnoughBalanceError(StorefrontError):
    message_id = "order-not-enough-balance"


class OrderAlreadyPlacedError(StorefrontError):
    message_id = "order-already-placed"


class ConfirmationExpiredError(StorefrontError):
    message_id = "order-confirmation-expired"


class OrderRefusedError(StorefrontError):
    """The panel refused the order; the user was refunded."""

    message_id = "order-refused"


class OrderOutcomeUnknownError(StorefrontError):
    """The panel may or may not have the order; an admin will settle it."""

    message_id = "order-outcome-unknown"


class PanelUnavailableError(StorefrontError):
    message_id = "panel-unavailable"


class OrderNotUnknownError(StorefrontError):
    """Only an order whose placement is unknown can be settled."""

    message_id = "admin-settle-not-unknown"


class OrderNotFoundError(StorefrontError, LookupError):
    """No order has this id (an admin typed it)."""

    message_id = "admin-order-not-found"


class PanelIdTakenError(StorefrontError):
    """Another order already carries this panel order id."""

    message_id = "admin-settle-duplicate"


class UserNotFoundError(StorefrontError):
    """No customer has this id (an admin typed it)."""

    message_id = "admin-user-not-found"


class BalanceTooLowError(StorefrontError):
    """An admin's debit would take the balance below zero; ``balance`` is what there is."""

    message_id = "admin-subbalance-too-much"


class PanelOrderNotFoundError(StorefrontError):
    """/settle named a panel order id the panel does not know."""

    message_id = "admin-settle-panel-unknown"


class PanelCheckUnavailableError(StorefrontError):
    """/settle could not check the panel order id: the panel did not answer."""

    message_id = "admin-settle-panel-unreachable"


# --- promo codes ------------------------------------------------------------------------


class PromoUnknownError(StorefrontError):
    """No active code by that name (counts towards the wrong-code limit)."""

    message_id = "promo-unknown"


class PromoExpiredError(StorefrontError):
    message_id = "promo-expired"


class PromoUsedUpError(StorefrontError):
    message_id = "promo-used-up"


class PromoAlreadyRedeemedError(StorefrontError):
    message_id = "promo-already-redeemed"


class PromoDiscountPendingError(StorefrontError):
    """A discount already waits for the user's next order; one at a time."""

    message_id = "promo-discount-pending"


class PromoTooManyAttemptsError(StorefrontError):
    message_id = "promo-too-many-attempts"


class PromoDiscountUsedError(StorefrontError):
    """The discount shown on a confirmation card was spent on another order meanwhile."""

    message_id = "promo-discount-used"


class PromoSpecError(StorefrontError):
    """An admin's /promo add could not be read; ``message_id`` says which part."""

    def __init__(self, message_id: str = "promo-admin-usage", **arguments: object) -> None:
        super().__init__(**arguments)
        self.message_id = message_id


class MassLineError(StorefrontError):
    """One line of a mass order cannot be ordered; ``message_id`` says why."""

    def __init__(self, message_id: str, **arguments: object) -> None:
        super().__init__(**arguments)
        self.message_id = message_id
