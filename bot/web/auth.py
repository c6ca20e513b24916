"""Who is calling: Telegram's signed ``initData``, checked on every API request.

The Mini App sends ``Authorization: tma <initData>``, the raw ``Telegram.WebApp.initData``
string. aiogram's ``safe_parse_webapp_init_data`` checks its HMAC with the bot token as
Telegram's Mini App documentation prescribes; the user id comes from that signed data only,
never from anything else the browser sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.utils.web_app import WebAppUser, safe_parse_webapp_init_data

# Telegram signs initData once, when the Mini App opens; a day is as long as a session lasts.
MAX_AGE = timedelta(hours=24)
# A phone whose clock runs a little ahead must not lock its owner out.
CLOCK_SKEW = timedelta(minutes=5)
SCHEME = "tma"


class NotAuthenticatedError(Exception):
    """Missing, malformed, tampered with or expired ``initData`` (an HTTP 401)."""


def authenticate(header: str | None, bot_token: str, now: datetime | None = None) -> WebAppUser:
    """The Telegram user an ``Authorization`` header proves, or NotAuthenticatedError.

    The reason is for the log at most: a caller is told only that they are not signed in.
    """
    scheme, _, init_data = (header or "").strip().partition(" ")
    init_data = init_data.strip()
    if scheme.lower() != SCHEME or not init_data:
        raise NotAuthenticatedError("no tma credentials")
    try:
        # ValueError covers a bad signature, a malformed query string and bad field types.
        data = safe_parse_webapp_init_data(bot_token, init_data)
    except ValueError:
        raise NotAuthenticatedError("bad signature or malformed initData") from None
    now = now or datetime.now(UTC)
    signed_at = data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)
    if now - signed_at > MAX_AGE or signed_at - now > CLOCK_SKEW:
        raise NotAuthenticatedError("initData expired")
    if data.user is None or data.user.is_bot:
        raise NotAuthenticatedError("initData names no user")
    return data.user
