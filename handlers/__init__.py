"""The routers, in the order they see updates: commands before flows, catch-alls last."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    balance,
    broadcast,
    catalog,
    catalog_admin,
    errors,
    fallback,
    language,
    ordering,
    orders,
    payments,
    start,
    stats,
)


def routers() -> list[Router]:
    """The feature routers, free to be included in a new Dispatcher.

    Each module's router is created once, at import, and aiogram lets a router belong to one
    parent only, with no public way to leave it: without the detaching below, building a
    second Dispatcher in the same process (the end-to-end tests' restarts, one per test) fails
    with "Router is already attached".
    """
    ordered = [
        errors.router,
        start.router,
        # Payments come before every flow (the admin's broadcast draft included): a successful
        # payment must be credited whatever state the chat is in.
        payments.router,
        admin.router,
        stats.router,
        broadcast.router,
        catalog_admin.router,
        language.router,
        catalog.router,
        orders.router,
        balance.router,
        # The order flow reads free text, so every command router comes before it.
        ordering.router,
        fallback.router,
    ]
    for router in ordered:
        _detach(router)
    return ordered


def _detach(router: Router) -> None:
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
