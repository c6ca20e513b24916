"""Telegram's side of the Mini App: ``initData`` signed as Telegram signs it, and a client.

Telegram computes ``hash`` = HMAC-SHA256(key = HMAC-SHA256("WebAppData", bot token), data
check string), the data check string being every other field as ``key=value``, sorted, one a
line. Written out here (not with aiogram's helper the server uses) so that a test checks the
server against the documented algorithm rather than against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp


def sign_init_data(
    token: str,
    user_id: int,
    *,
    first_name: str = "Alice",
    language_code: str = "en",
    auth_date: int | None = None,
    username: str | None = None,
) -> str:
    """The ``Telegram.WebApp.initData`` string Telegram would hand the page of this user."""
    user: dict[str, Any] = {"id": user_id, "first_name": first_name, "language_code": language_code}
    if username:
        user["username"] = username
    fields = {
        "query_id": f"AAH{user_id}",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error(self) -> str:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        return str(self.body["error"])


class ApiClient:
    """Calls the shop's JSON API over real HTTP as the Mini App does."""

    def __init__(self, session: aiohttp.ClientSession, base: str, init_data: str | None) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.init_data = init_data

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if self.init_data is not None:
            sent.setdefault("Authorization", f"tma {self.init_data}")
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self.session.request(
            method, self.base + path, data=data, headers=sent
        ) as response:
            text = await response.text()
            try:
                parsed: Any = json.loads(text)
            except ValueError:
                parsed = text
            return Reply(response.status, parsed, dict(response.headers))

    async def get(self, path: str, **options: Any) -> Reply:
        return await self.call("GET", path, **options)

    async def post(self, path: str, body: Any = None, **options: Any) -> Reply:
        return await self.call("POST", path, body, **options)
