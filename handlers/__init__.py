"""The routers, in the order they see updates: commands before flows, catch-alls last."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    balance,
    catalog,
    errors,
    fallback,
    language,
    ordering,
    orders,
    start,
)


def routers() -> list[Router]:
    return [
        errors.router,
        start.router,
        admin.router,
        language.router,
        catalog.router,
        orders.router,
        balance.router,
        # The order flow reads free text, so every command router comes before it.
        ordering.router,
        fallback.router,
    ]
