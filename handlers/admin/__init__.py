"""Everything only admins may do, behind one IsAdmin filter on the package's router.

The filter checks ADMIN_IDS on every message and button press; for anyone else these
commands and buttons fall through to the fallback, exactly as if they did not exist.
"""

from __future__ import annotations

from aiogram import Router

from bot.telegram.filters import IsAdmin
from handlers.admin import (
    broadcast_composer,
    catalog,
    manual_topups,
    menu,
    panels,
    promo,
    refunds,
    stats,
    unknown_orders,
    users,
)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.include_routers(
        menu.create_router(),
        users.create_router(),
        unknown_orders.create_router(),
        refunds.create_router(),
        manual_topups.create_router(),
        stats.create_router(),
        broadcast_composer.create_router(),
        catalog.create_router(),
        panels.create_router(),
        promo.create_router(),
    )
    return router
