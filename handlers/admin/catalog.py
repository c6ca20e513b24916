"""Catalog and prices for admins: /markup, /hide, /show, /sync, /catalog."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core.ids import parse_id
from bot.services.catalog import GLOBAL_MARKUP_KEY, CatalogService, Pricing
from bot.telegram import keyboards
from bot.telegram.callbacks import AdminAction, AdminCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from bot.upstream import UpstreamError
from bot.upstream.panels import Panels
from handlers.common import show
from storage.repository import Repository
from storage.settings import CATEGORY, SERVICE

router = RouterTemplate(__name__)
logger = logging.getLogger(__name__)

MAX_MARKUP_PERCENT = Decimal(10_000)
_SCOPES = {"category": CATEGORY, "c": CATEGORY, "service": SERVICE, "s": SERVICE}


def create_router() -> Router:
    return router.create()


def _percent(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or not Decimal(0) <= value <= MAX_MARKUP_PERCENT:
        return None
    # Decimal.normalize() writes 50 as "5E+1": whole numbers are quantized instead, so the
    # admin reads back "50%" (in the reply, /catalog and /markup) exactly as they typed it.
    return abs(value.quantize(Decimal(1))) if value == value.to_integral() else value.normalize()


async def _target_exists(repo: Repository, scope: str, target_id: int) -> bool:
    if scope == CATEGORY:
        return await repo.catalog.category_by_id(target_id) is not None
    return await repo.catalog.service(target_id) is not None


@router.message(Command("markup"))
async def markup(
    message: Message, command: CommandObject, repo: Repository, pricing: Pricing, i18n: Translator
) -> None:
    parts = (command.args or "").split()
    if len(parts) == 1:  # /markup 25
        value = _percent(parts[0])
        if value is None:
            await message.answer(i18n("admin-markup-usage"))
            return
        await repo.settings.set(GLOBAL_MARKUP_KEY, str(value))
        await pricing.load(repo)
        await message.answer(i18n("admin-markup-global-set", percent=str(value)))
        return
    target_id = parse_id(parts[1]) if len(parts) == 3 else None
    if target_id is not None and parts[0].lower() in _SCOPES:
        scope = _SCOPES[parts[0].lower()]
        if not await _target_exists(repo, scope, target_id):
            await message.answer(i18n("admin-catalog-not-found", scope=scope, id=target_id))
            return
        if parts[2].lower() in ("reset", "off", "-"):
            await repo.settings.set_markup(scope, target_id, None)
            await pricing.load(repo)
            await message.answer(i18n("admin-markup-reset", scope=scope, id=target_id))
            return
        value = _percent(parts[2])
        if value is not None:
            await repo.settings.set_markup(scope, target_id, value)
            await pricing.load(repo)
            await message.answer(
                i18n("admin-markup-set", scope=scope, id=target_id, percent=str(value))
            )
            return
    if not parts:
        await message.answer(
            i18n("admin-markup-current", percent=str(pricing.markup_percent))
            + "\n\n"
            + i18n("admin-markup-usage")
        )
        return
    await message.answer(i18n("admin-markup-usage"))


@router.message(Command("hide", "show"))
async def hide_or_show(
    message: Message, command: CommandObject, repo: Repository, i18n: Translator
) -> None:
    hidden = command.command == "hide"
    parts = (command.args or "").split()
    target_id = parse_id(parts[1]) if len(parts) == 2 else None
    if target_id is None or parts[0].lower() not in _SCOPES:
        await message.answer(i18n("admin-hide-usage"))
        return
    scope = _SCOPES[parts[0].lower()]
    if not await repo.catalog.set_hidden(scope, target_id, hidden):
        await message.answer(i18n("admin-catalog-not-found", scope=scope, id=target_id))
        return
    reply = "admin-hidden" if hidden else "admin-shown"
    await message.answer(i18n(reply, scope=scope, id=target_id))


async def _sync_text(catalog: CatalogService, i18n: Translator) -> str:
    try:
        changes = await catalog.refresh()
    except UpstreamError as error:
        logger.warning("Catalog sync requested by an admin failed: %r", error)
        return i18n("admin-sync-failed", reason=error.detail)

    def ids(values: list[int]) -> str:
        shown = ", ".join(str(value) for value in values[:30])
        return shown + (" …" if len(values) > 30 else "") if values else "-"

    failed = [
        i18n("admin-sync-panel-failed", panel=panel, reason=reason)
        for panel, reason in changes.failed_panels.items()
    ]
    return "\n".join(
        [
            i18n(
                "admin-sync-done",
                added=len(changes.added),
                removed=len(changes.removed),
                changed=len(changes.changed),
                added_ids=ids(changes.added),
                removed_ids=ids(changes.removed),
                changed_ids=ids(changes.changed),
            ),
            *failed,
        ]
    )


@router.message(Command("sync"))
@router.callback_query(AdminCallback.filter(F.action == AdminAction.SYNC))
async def sync(event: Message | CallbackQuery, catalog: CatalogService, i18n: Translator) -> None:
    await show(event, await _sync_text(catalog, i18n), keyboards.admin_back(i18n))


async def _catalog_text(
    repo: Repository, pricing: Pricing, panels: Panels, i18n: Translator
) -> str:
    lines = [i18n("admin-catalog-title", percent=str(pricing.markup_percent))]
    served = await repo.catalog.panel_counts_by_category() if panels.several else {}
    for category in await repo.catalog.all_categories():
        override = pricing.override_for(CATEGORY, category.id)
        lines.append(
            i18n(
                "admin-catalog-line",
                id=category.id,
                name=category.name,
                count=category.service_count,
                hidden="yes" if category.hidden else "no",
                markup="-" if override is None else f"{override}%",
            )
        )
        if category.id in served:
            counts = ", ".join(f"{panel} {count}" for panel, count in served[category.id].items())
            lines.append(i18n("admin-catalog-panels", panels=counts))
    lines.append(i18n("admin-catalog-help"))
    if panels.several:
        lines.append(i18n("admin-catalog-route-help"))
    return "\n".join(lines)


@router.message(Command("catalog"))
@router.callback_query(AdminCallback.filter(F.action == AdminAction.CATALOG))
async def catalog_screen(
    event: Message | CallbackQuery,
    repo: Repository,
    pricing: Pricing,
    panels: Panels,
    i18n: Translator,
) -> None:
    text = await _catalog_text(repo, pricing, panels, i18n)
    await show(event, text, keyboards.admin_back(i18n))
