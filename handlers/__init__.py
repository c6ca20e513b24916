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
    mass_order,
    ordering,
    orders,
    payments,
    promo,
    referrals,
    search,
    start,
)


def create_routers() -> list[Router]:
    """Fresh feature routers for a new Dispatcher (a router can belong to one parent only)."""
    return [
        errors.create_router(),
        # Payments come before every flow (the admin's broadcast draft included): a successful
        # payment must be credited whatever state the chat is in.
        payments.create_router(),
        # /start ref_… and /start svc_… before the plain /start.
        referrals.create_router(),
        search.create_router(),
        start.create_router(),
        admin.create_router(),
        language.create_router(),
        catalog.create_router(),
        orders.create_router(),
        balance.create_router(),
        promo.create_router(),
        mass_order.create_router(),
        # The order flow reads free text, so every command router comes before it.
        ordering.create_router(),
        fallback.create_router(),
    ]
