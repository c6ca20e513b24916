"""The Mini App's pages: plain HTML, CSS and JavaScript shipped in the package."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

STATIC_DIR = Path(__file__).resolve().parent / "static"
APP_PATH = "/app/"
ADMIN_PATH = "/app/admin/"
ASSETS_PATH = "/app/static/"
# telegram-web-app.js is Telegram's own script; everything else comes from this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' https://telegram.org; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def _page(name: str) -> Handler:
    path = STATIC_DIR / name

    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return serve


def _redirect(location: str) -> Handler:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(location)

    return redirect


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(("/app", "/api/")):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/app"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)


def add_pages(app: web.Application) -> None:
    """``/app/`` (the shop), ``/app/admin/`` (the dashboard) and their assets."""
    app.router.add_get("/app", _redirect(APP_PATH))
    app.router.add_get(APP_PATH, _page("index.html"))
    app.router.add_get("/app/admin", _redirect(ADMIN_PATH))
    app.router.add_get(ADMIN_PATH, _page("admin.html"))
    app.router.add_static(ASSETS_PATH, STATIC_DIR, append_version=False)
    app.on_response_prepare.append(_security_headers)
