"""Telegram Stars facts both the settings and the payment service must respect."""

from __future__ import annotations

# Telegram refuses an invoice above this many Stars (the Bot API states 10,000 Stars as the
# price limit of Stars subscriptions; one-time invoices are held to the same cap). If Telegram
# raises it, this is the one place to change.
MAX_STARS_PER_INVOICE = 10_000
