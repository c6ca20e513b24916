"""Several panels for admins: /panels (each panel's state) and /route (a service's panels)."""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.core.ids import parse_id
from bot.core.money import Money
from bot.services.catalog import CatalogService
from bot.services.panel_status import panel_statuses
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from bot.upstream.panels import Panels
from storage.catalog import RouteMember, grouping_key
from storage.repository import Repository

router = RouterTemplate(__name__)
MAX_ROUTE_LENGTH = 20
_PANEL_SERVICE = re.compile(r"^([a-z0-9_-]{1,32}):([0-9]{1,19})$")


def create_router() -> Router:
    return router.create()


@router.message(Command("panels"))
async def panels_screen(
    message: Message, panels: Panels, repo: Repository, i18n: Translator
) -> None:
    lines = [i18n("admin-panels-title", count=len(panels))]
    for status in await panel_statuses(panels, repo):
        balance = (
            i18n("admin-panels-unreachable")
            if status.balance is None
            else i18n.money(
                Money.from_decimal(status.balance.amount), status.balance.currency or i18n.currency
            )
        )
        lines.append(
            i18n(
                "admin-panels-line",
                panel=status.name,
                main="yes" if status.main else "no",
                balance=balance,
                currency=(status.balance.currency if status.balance else "") or "-",
                reachable="yes" if status.balance is not None else "no",
                active=status.active_orders,
                error=status.error or "-",
                error_at=status.error_at or "-",
            )
        )
        if not status.used:
            lines.append(i18n("admin-panels-left-out", currency=panels.shop_currency))
    await message.answer("\n\n".join(lines))


def _route_text(i18n: Translator, shop_id: int, pinned: bool, route: list[RouteMember]) -> str:
    members = " → ".join(f"{m.panel}:{m.service_id} ({m.rate})" for m in route) or "-"
    return i18n(
        "admin-route-current", service_id=shop_id, mode="pinned" if pinned else "auto",
        route=members,
    )  # fmt: skip


@router.message(Command("route"))
async def route(
    message: Message,
    command: CommandObject,
    repo: Repository,
    catalog: CatalogService,
    panels: Panels,
    i18n: Translator,
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    shop_id = parse_id(parts[0]) if parts else None
    if shop_id is None:
        await message.answer(i18n("admin-route-usage"))
        return
    if await repo.catalog.service(shop_id) is None:
        await message.answer(i18n("admin-catalog-not-found", scope="service", id=shop_id))
        return
    if len(parts) == 1:
        pinned, _ = await repo.catalog.members(shop_id)
        await message.answer(_route_text(i18n, shop_id, pinned, await catalog.route(shop_id)))
        return
    argument = parts[1].strip()
    if argument.lower() == "auto":
        await catalog.set_route(shop_id, None)
        await message.answer(
            i18n("admin-route-auto", service_id=shop_id)
            + "\n"
            + _route_text(i18n, shop_id, False, await catalog.route(shop_id))
        )
        return
    wanted: list[tuple[str, int]] = []
    for item in (piece.strip() for piece in argument.split(",")):
        match = _PANEL_SERVICE.match(item.lower())
        service_id = parse_id(match.group(2)) if match else None
        if match is None or service_id is None or len(wanted) >= MAX_ROUTE_LENGTH:
            await message.answer(i18n("admin-route-usage"))
            return
        wanted.append((match.group(1), service_id))
    problem = await _route_problem(repo, panels, wanted)
    if problem is not None:
        await message.answer(problem(i18n))
        return
    await catalog.set_route(shop_id, wanted)
    await message.answer(
        i18n("admin-route-set", service_id=shop_id)
        + "\n"
        + _route_text(i18n, shop_id, True, await catalog.route(shop_id))
    )


class _Problem:
    def __init__(self, message_id: str, **arguments: object) -> None:
        self.message_id = message_id
        self.arguments = arguments

    def __call__(self, i18n: Translator) -> str:
        return i18n(self.message_id, **self.arguments)


async def _route_problem(
    repo: Repository, panels: Panels, wanted: list[tuple[str, int]]
) -> _Problem | None:
    """Why the route cannot be set, or None: every panel configured and named once, every
    panel service known, all of one kind."""
    names = [panel for panel, _ in wanted]
    if len(set(names)) != len(names):
        return _Problem("admin-route-panel-twice")
    kinds: set[str] = set()
    for panel, service_id in wanted:
        if panels.get(panel) is None or panel == "":
            return _Problem("admin-panel-unknown", panel=panel, panels=", ".join(panels.names))
        member = await repo.catalog.panel_service(panel, service_id)
        if member is None:
            return _Problem("admin-route-no-service", panel=panel, id=service_id)
        kinds.add(grouping_key("", "", member.type)[2])
    if len(kinds) > 1:
        return _Problem("admin-route-mixed-types")
    return None
