"""Errors the storage layer raises for conditions callers must handle."""

from __future__ import annotations


class StorageError(Exception):
    """Base of storage-level conditions."""


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
