"""The web side: the Mini App's JSON API (``/api/``) and its pages (``/app/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.api import ShopApi
from bot.web.pages import add_pages

if TYPE_CHECKING:
    from bot.dependencies import Services

API_PREFIX = "/api/"


def setup_web(app: web.Application, services: Services) -> None:
    """Serve the API and the pages from ``app`` (the webhook's server, or one of their own)."""
    app.add_subapp(API_PREFIX, ShopApi(services).application())
    add_pages(app)
