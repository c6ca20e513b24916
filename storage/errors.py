"""Errors the storage layer raises for conditions callers must handle."""

from __future__ import annotations


class StorageError(Exception):
    """Base of storage-level conditions."""


class DatabaseUnavailableError(StorageError):
    """The database the settings name cannot be opened (unreachable, refused, missing). The
    text names it without its password, with the reason, for one line at start-up."""


class InsufficientBalanceError(StorageError):
    """The entry would take the user's balance below zero; nothing was written."""


class DuplicateEntryError(StorageError):
    """An exactly-once ledger entry (charge, refund, payment) was already recorded."""


class DuplicateOrderError(StorageError):
    """An order was already placed from this confirmation (Confirm pressed twice)."""


class UnknownUserError(StorageError):
    """No user with that id."""


class DuplicateUpstreamIdError(StorageError):
    """Another order already carries that panel order id."""


class ConstraintError(StorageError):
    """A statement broke a constraint or a trigger's rule, on either engine; nothing it wrote
    stays. The text has one shape on both: ``UNIQUE constraint failed: orders.confirm_token``,
    ``CHECK constraint failed: …``, ``FOREIGN KEY constraint failed``, ``NOT NULL …``, or the
    trigger's own message (``ledger is append-only``)."""

    UNIQUE = "unique"
    CHECK = "check"
    FOREIGN_KEY = "foreign_key"
    NOT_NULL = "not_null"
    RULE = "rule"  # raised by a trigger

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
