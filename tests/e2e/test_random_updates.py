"""Bad input at scale: thousands of random updates, each answered or ignored on purpose.

A seeded generator (``RANDOM_UPDATES_SEED=<n>`` replays a run; the seed is printed) sends
random texts (unicode of every awkward kind, very long ones, HTML-looking ones, commands),
random button presses (the real buttons of the chat, well-formed callback data naming other
customers' orders, admin actions and pages that do not exist, and garbage), unsupported
message kinds, forwarded and edited messages, updates from strangers, from groups and
channels, and pre-checkout queries with forged invoices, across many users. Updates go out in
batches with one update per sender, so each answer can be told apart.

Checked per update through the ``bot.updates`` log line: handled (or ignored because it came
from a group) and never an error; each private message got an answer; each button press got
exactly one answerCallbackQuery. At the end: no error was logged, nothing was written to a
group, no customer saw another's order, the admin's controls did nothing for strangers, and
the database holds exactly what it held before the garbage (balances equal to their ledgers).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import string
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import Update

from bot.app import Services, build_dispatcher, build_services
from bot.core.money import Money
from bot.telegram.callbacks import (
    AdminAction,
    AdminCallback,
    BroadcastAction,
    BroadcastCallback,
    CategoriesPage,
    CategoryCallback,
    ConfirmAction,
    ConfirmCallback,
    FlowCallback,
    LanguageCallback,
    LedgerPage,
    ManualReviewCallback,
    MassAction,
    MassCallback,
    MenuAction,
    MenuCallback,
    OrderAction,
    OrderCallback,
    OrderServiceCallback,
    OrdersPage,
    RailCallback,
    ReorderCallback,
    ReviewAction,
    SearchPage,
    ServiceCallback,
    TopupCallback,
)
from bot.telegram.i18n import Translations
from bot.telegram.pacing import SendBudget
from bot.testing.harness import make_bot, running_bot
from bot.testing.panel import FakePanel, default_services
from bot.testing.telegram import FakeTelegramServer
from bot.testing.user import ChatUser
from bot.upstream.client import HttpPanelClient
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository
from tests.e2e.conftest import make_settings
from tests.service_harness import SERVICE_TIMEOUT, database_problems, rows

TOTAL_UPDATES = 2_000
BATCH = 125
PRIVATE_USERS = [200_000_000 + n for n in range(200)]
GROUP_ONLY_SENDERS = [300_000_000 + n for n in range(30)]
GROUPS = [-1_001_000_000_000 - n for n in range(6)]
CHANNEL = -1_002_000_000_000
OWNERS = [400_000_001, 400_000_002, 400_000_003]
ANONYMOUS_ADMIN_BOT = 1_087_968_824
VALID_INVOICE = "pre-checkout 'topup:5000000' 250 XTR"
# Update types the bot does not ask for: Telegram never delivers them (the fake drops them).
NOT_ASKED_FOR = {
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "message_reaction",
    "chat_join_request",
    "poll",
}
# Failed Bot API calls the bot expects and handles (re-rendering the same screen, editing a
# message that is gone or was never the bot's): anything else is a bug in what it sent.
EXPECTED_API_ERRORS = (
    "message is not modified",
    "message to edit not found",
    "message can't be edited",
    "there is no text in the message to edit",
)

RTL = ["مرحبا بالعالم", "שלום עולם", "\u202eevil\u202c", "\u200fעברית and English\u200e"]
EMOJI = ["👍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇦", "🧑🏽‍💻", "❤️‍🔥", "🐢" * 30]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u200b" * 50]
COMBINING = ["e\u0301", "Z̤̈ͅa̶̡l̵g̷o̸", "a" + "\u0300" * 40, "\u0301 leading mark"]
MARKUP_LOOKALIKES = [
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "a & b < c > d",
    "&lt;&amp;",
    "<a href='https://x'>x</a>",
    "</i>",
    "<br/>",
    "{ $name }",
    "{{ }}",
    "%s %d %(x)s",
    "Robert'); DROP TABLE users;--",
    "\\n\\t",
]
COMMANDS = [
    "/start",
    "/start deep_link_payload",
    "/start@test_store_bot",
    "/order",
    "/orders",
    "/balance",
    "/topup",
    "/topup 7",
    "/topup -1",
    "/language",
    "/help",
    "/cancel",
    "/menu",
    "/paysupport",
    "/admin",
    "/addbalance 200000001 1000",
    "/subbalance 400000001 1 because",
    "/settle 1 placed",
    "/broadcast",
    "/stats",
    "/ORDER",
    "/foo",
    "/",
    "/start@other_bot",
    # Growth, payments and several panels came later: their commands, odd arguments included.
    "/search likes",
    "/search",
    "/promo",
    "/promo NOPE",
    "/promo add XX 5 uses=²",
    "/invite",
    "/mass",
    "/start svc_1",
    "/start svc_²",
    "/start ref_nobody",
    "/route 1",
    "/route ² main:1",
    "/refund nope",
    "/panels",
    "/pending",
]
LINKS = [
    "https://instagram.com/p/random_post",
    "https://t.me/somechannel",
    "t.me/x",
    "@someone",
    "http://",
    "javascript:alert(1)",
    "https://" + "a" * 300 + ".com",
]
NUMBERS = ["1000", "50", "0", "-1", "10", "99999999999999999999", "1e3", "½", "١٢٣", "１０００"]
NAMES = ["Alice", "<b>Bob</b>", "Zoë", "محمد", "\u200b", "A" * 64, "👨‍👩‍👧", "&amp;", "{ $name }"]
LANGUAGES = ["en", "ru", "de", "pt-br", "zz", None, "EN", "ru-RU"]


@dataclass
class Sent:
    """One random update and what the test expects of it."""

    update_id: int
    kind: str  # private_message | callback | pre_checkout | group | not_asked_for
    sender: int | None
    description: str
    query_id: str | None = None


class RandomTelegram(FakeTelegramServer):
    """The fake Bot API, plus raw callback queries on messages the bot may never have sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last_sent_id = 0

    async def raw_callback(self, user_id: int, data: str, message: dict[str, Any] | None) -> str:
        query_id = f"rnd{next(self._query_ids)}"
        self._open_callback_queries.add(query_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": self.set_user(user_id),
            "chat_instance": f"instance-{user_id}",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        else:
            query["inline_message_id"] = f"inline-{query_id}"
        await self.send_update({"callback_query": query})
        return query_id

    async def user_message(self, user_id: int, content: dict[str, Any]) -> int:
        return await self._send_user_message(user_id, content)

    async def send_update(self, update: dict[str, Any]) -> int:
        # A malformed update would be the test's bug, and would break the whole getUpdates
        # batch it came in: check it against aiogram's models first.
        Update.model_validate({"update_id": 1, **update})
        update_id = await super().send_update(update)
        self.last_sent_id = update_id
        return update_id


class UpdateLines(logging.Handler):
    PATTERN = re.compile(
        r"update=(?P<id>\d+) type=(?P<type>\S+) user=(?P<user>\S+) handler=(?P<handler>\S+) "
        r"outcome=(?P<outcome>\S+) ms="
    )

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.by_id: dict[int, list[dict[str, str]]] = {}
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        match = self.PATTERN.match(record.getMessage())
        if match:
            self.by_id.setdefault(int(match["id"]), []).append(match.groupdict())
            self._changed.set()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Shop:
    telegram: RandomTelegram
    panel: FakePanel
    services: Services
    database_path: Path
    updates: UpdateLines
    errors: Errors
    owner_orders: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


class UnhurriedSendBudget(SendBudget):
    """The bot's send budget with room for 1,000 messages a second instead of Telegram's 30."""

    def __init__(self, per_second: int = 1000, **options: Any) -> None:
        super().__init__(per_second, **options)


@pytest.fixture
async def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Shop]:
    # The fake Telegram here enforces no flood limit, and some 1,300 answers paced at
    # Telegram's 30 a second made this test wait 35 s for nothing it checks; pacing has its
    # own tests (test_send_budget, and the broadcast at the flood limit).
    monkeypatch.setattr("bot.app.SendBudget", UnhurriedSendBudget)
    updates_logger = logging.getLogger("bot.updates")
    updates, errors, level = UpdateLines(), Errors(), updates_logger.level
    updates_logger.addHandler(updates)
    updates_logger.setLevel(logging.INFO)
    logging.getLogger().addHandler(errors)
    try:
        async with FakePanel() as panel, RandomTelegram() as telegram:
            # Many users, each sending a few updates: generous limits keep the throttle from
            # hiding the handlers (it has its own test).
            settings = make_settings(
                panel,
                tmp_path / "storefront.sqlite3",
                THROTTLE_RATE="1000",
                THROTTLE_BURST=1000,
                STATUS_POLL_SECONDS=3600,
            )
            database = await Database.open(settings.DATABASE_PATH)
            panel_client = HttpPanelClient(panel.url, panel.api_key, connect_retries=0)
            bot = make_bot(telegram)
            try:
                services = build_services(
                    settings,
                    Repository(database),
                    panel_client,
                    bot,
                    Translations(settings.DEFAULT_LANGUAGE),
                )
                async with running_bot(build_dispatcher(services), bot):
                    yield Shop(telegram, panel, services, settings.DATABASE_PATH, updates, errors)
            finally:
                await panel_client.aclose()
                await database.close()
    finally:
        updates_logger.removeHandler(updates)
        updates_logger.setLevel(level)
        logging.getLogger().removeHandler(errors)


async def _seed_orders(shop: Shop) -> None:
    """Three customers with real orders, placed through the real flow."""
    repo = shop.services.repo
    followers = default_services()[1]
    for owner in OWNERS:
        customer = ChatUser(shop.telegram, owner, timeout=SERVICE_TIMEOUT)
        await customer.start()
        await repo.ledger.post(owner, EntryKind.ADMIN_CREDIT, Money.parse("20"))
        for number in range(2):
            link = f"https://instagram.com/p/owner_{owner}_{number}"
            card = await customer.reach_confirmation(
                category="Instagram", service=followers.name, link=link, quantity=100
            )
            query = await customer.click(customer.t("button-confirm"), message_id=card.message_id)
            await shop.telegram.wait_for_callback_answer(query)
            (order,) = rows(shop.database_path, "SELECT id FROM orders WHERE link = ?", (link,))
            shop.owner_orders.setdefault(owner, []).append((int(order["id"]), link))


class Generator:
    """Random updates; ``rng`` alone decides them, so a seed replays a run."""

    def __init__(self, rng: random.Random, shop: Shop) -> None:
        self.rng = rng
        self.shop = shop
        self.tg = shop.telegram
        self.order_ids = [oid for orders in shop.owner_orders.values() for oid, _ in orders]

    # --- content ----------------------------------------------------------------------------

    def text(self) -> str:
        rng = self.rng
        kind = rng.choices(
            ["words", "rtl", "emoji", "zero", "combining", "markup", "command", "link",
             "number", "long", "mixed", "whitespace"],
            weights=[10, 4, 4, 3, 3, 5, 14, 6, 6, 3, 5, 2],
        )[0]  # fmt: skip
        if kind == "words":
            return " ".join(
                "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 9)))
                for _ in range(rng.randint(1, 8))
            )
        if kind == "rtl":
            return rng.choice(RTL)
        if kind == "emoji":
            return "".join(rng.choices(EMOJI, k=rng.randint(1, 4)))
        if kind == "zero":
            return rng.choice(ZERO_WIDTH) + rng.choice(["", "hi", "/start", "1000"])
        if kind == "combining":
            return rng.choice(COMBINING)
        if kind == "markup":
            return rng.choice(MARKUP_LOOKALIKES)
        if kind == "command":
            return rng.choice(COMMANDS)
        if kind == "link":
            return rng.choice(LINKS)
        if kind == "number":
            return rng.choice(NUMBERS)
        if kind == "long":
            return rng.choice(
                [
                    "A" * 4096,
                    "https://instagram.com/" + "p" * 4100,
                    "👍" * 2100,  # 4200 UTF-16 units
                    "<b>" * 1400,
                    "".join(rng.choices(string.printable, k=rng.randint(4000, 5000))),
                    "1" * 4096,
                ]
            )
        if kind == "mixed":
            parts = [rng.choice(RTL), rng.choice(EMOJI), rng.choice(MARKUP_LOOKALIKES)]
            rng.shuffle(parts)
            return " ".join(parts)
        return rng.choice([" ", "\n\n", "\t", "\u3000", " . "])

    def other_content(self) -> tuple[str, dict[str, Any]]:
        """A message that is not plain text."""
        rng = self.rng
        file = {"file_id": f"f{rng.randrange(10**6)}", "file_unique_id": f"u{rng.randrange(10**6)}"}
        kind = rng.choice(
            ["photo", "sticker", "voice", "video_note", "location", "contact", "dice", "poll",
             "venue", "animation", "document", "audio", "video", "forwarded", "caption",
             "reply", "entities", "web_app_data"]
        )  # fmt: skip
        if kind == "photo":
            return kind, {"photo": [{**file, "width": 90, "height": 90}]}
        if kind == "sticker":
            sticker = {**file, "type": "regular", "width": 512, "height": 512}
            return kind, {"sticker": {**sticker, "is_animated": False, "is_video": False}}
        if kind == "voice":
            return kind, {"voice": {**file, "duration": rng.randint(1, 60)}}
        if kind == "video_note":
            return kind, {"video_note": {**file, "length": 240, "duration": 3}}
        if kind == "location":
            return kind, {"location": {"latitude": rng.uniform(-90, 90), "longitude": 1.5}}
        if kind == "contact":
            owner = rng.choice(OWNERS)
            return kind, {"contact": {"phone_number": "+100", "first_name": "X", "user_id": owner}}
        if kind == "dice":
            return kind, {"dice": {"emoji": rng.choice("🎲🎯🏀⚽🎳🎰"), "value": rng.randint(1, 6)}}
        if kind == "poll":
            poll = {
                "id": str(rng.randrange(10**9)),
                "question": self.text()[:300],
                "options": [
                    {"text": "a", "voter_count": 0, "persistent_id": "a"},
                    {"text": "b", "voter_count": 0, "persistent_id": "b"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
            return kind, {"poll": poll}
        if kind == "venue":
            location = {"latitude": 1.0, "longitude": 2.0}
            return kind, {"venue": {"location": location, "title": "t", "address": "a"}}
        if kind == "animation":
            return kind, {"animation": {**file, "width": 1, "height": 1, "duration": 1}}
        if kind == "document":
            return kind, {"document": {**file, "file_name": self.text()[:60] or "f"}}
        if kind == "audio":
            return kind, {"audio": {**file, "duration": 5}}
        if kind == "video":
            return kind, {"video": {**file, "width": 1, "height": 1, "duration": 1}}
        if kind == "forwarded":
            origin = {"type": "hidden_user", "date": 1, "sender_user_name": rng.choice(NAMES)}
            return kind, {"text": self.text(), "forward_origin": origin}
        if kind == "caption":
            caption = rng.choice(["/start", "/order", self.text()[:1024]])
            return kind, {"photo": [{**file, "width": 1, "height": 1}], "caption": caption}
        if kind == "reply":
            replied = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}
            return kind, {"text": self.text(), "reply_to_message": replied}
        if kind == "entities":
            text = "see https://example.com and @someone"
            entities = [
                {"type": "url", "offset": 4, "length": 19},
                {"type": "mention", "offset": 28, "length": 8},
                {"type": "bold", "offset": 0, "length": 3},
            ]
            return kind, {"text": text, "entities": entities}
        return kind, {"web_app_data": {"data": self.text()[:100], "button_text": "b"}}

    def callback_data(self, user_id: int) -> tuple[str, str]:
        rng = self.rng
        choice = rng.random()
        if choice < 0.55:
            # model_construct: forged data a factory would refuse to build (negative ids…).
            factories: list[Callable[[], CallbackData]] = [
                lambda: MenuCallback.model_construct(action=rng.choice(list(MenuAction))),
                lambda: CategoriesPage.model_construct(page=rng.choice([0, 1, 2, -1, 10**9])),
                lambda: CategoryCallback.model_construct(
                    category_id=rng.choice([1, 2, 3, 0, -5, 10**12]),
                    page=rng.choice([0, 1, 99, -1]),
                ),
                lambda: ServiceCallback.model_construct(
                    service_id=rng.choice([1, 2, 3, 4, 5, 6, 7, 99, 0, -1])
                ),
                lambda: OrderServiceCallback.model_construct(
                    service_id=rng.choice([1, 3, 4, 5, 99, -1])
                ),
                lambda: ConfirmCallback.model_construct(
                    token="".join(rng.choices(string.ascii_letters, k=rng.randint(1, 16))),
                    action=rng.choice(list(ConfirmAction)),
                ),
                lambda: OrdersPage.model_construct(page=rng.choice([0, 1, 5, -1, 10**9])),
                lambda: OrderCallback.model_construct(
                    order_id=rng.choice([*self.order_ids, 0, -1, 10**9]),
                    action=rng.choice(list(OrderAction)),
                    page=rng.choice([0, 1, -1]),
                ),
                lambda: LanguageCallback.model_construct(
                    language=rng.choice(["en", "ru", "xx", "de", "e"])
                ),
                lambda: FlowCallback.model_construct(action=rng.choice(["cancel", "x"])),
                lambda: AdminCallback.model_construct(action=rng.choice(list(AdminAction))),
                lambda: BroadcastCallback.model_construct(
                    broadcast_id=rng.randint(-1, 5), action=rng.choice(list(BroadcastAction))
                ),
                lambda: TopupCallback.model_construct(
                    micros=rng.choice([0, 5_000_000, 1, -1, 10**17])
                ),
                lambda: LedgerPage.model_construct(page=rng.choice([0, 1, -3, 10**6])),
                lambda: ReorderCallback.model_construct(
                    order_id=rng.choice([*self.order_ids, 0, -1, 10**9])
                ),
                lambda: RailCallback.model_construct(rail=rng.choice(["stars", "manual", "x"])),
                lambda: ManualReviewCallback.model_construct(
                    topup_id=rng.randint(-1, 5), action=rng.choice(list(ReviewAction))
                ),
                lambda: SearchPage.model_construct(
                    page=rng.choice([0, 1, -1, 10**6]), query=rng.choice(["likes", "", "é"])
                ),
                lambda: MassCallback.model_construct(
                    token=rng.choice(["", "x", "a" * 12]), action=rng.choice(list(MassAction))
                ),
            ]
            return "packed", rng.choice(factories)().pack()
        if choice < 0.75:
            return "garbage", rng.choice(
                [
                    "".join(rng.choices(string.printable, k=rng.randint(1, 64))),
                    "m:",
                    "m:unknown",
                    "o:1",
                    "o:abc:v:0",
                    "o:1:v:0:extra",
                    "cf::",
                    ":::",
                    "з:1",
                    "👍",
                    "adm:menu",
                    "bc:1:send",
                    "s:" + "9" * 18,  # beyond 2**63: see test_ids_beyond_64_bits...
                    "o:" + str(rng.choice(self.order_ids or [1])) + ":x:0",
                    "tu:999999999999999999",
                ]
            )
        return "real-button", ""  # the caller presses a real button of the chat

    # --- updates ----------------------------------------------------------------------------

    async def private(self, user_id: int) -> Sent:
        rng = self.rng
        language = rng.choice(LANGUAGES)
        profile = self.tg.set_user(user_id, first_name=rng.choice(NAMES), language_code=language)
        if language is None:
            profile.pop("language_code", None)
        roll = rng.random()
        if roll < 0.45:
            text = self.text()
            content: dict[str, Any] = {"text": text}
            if text.startswith("/"):
                length = len(text.split()[0].encode("utf-16-le")) // 2
                content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            update_id = await self.tg.user_message(user_id, content)
            return Sent(update_id, "private_message", user_id, f"text {text[:40]!r}")
        if roll < 0.60:
            kind, content = self.other_content()
            update_id = await self.tg.user_message(user_id, content)
            return Sent(update_id, "private_message", user_id, kind)
        if roll < 0.92:
            return await self.callback(user_id)
        return await self.pre_checkout(user_id)

    async def callback(self, user_id: int) -> Sent:
        rng = self.rng
        kind, data = self.callback_data(user_id)
        messages = self.tg.messages(user_id)
        with_buttons = [m for m in messages if m.buttons]
        if kind == "real-button" and with_buttons:
            message = rng.choice(with_buttons[-3:])
            buttons = [b for b in message.buttons if "callback_data" in b]
            if buttons:
                data = rng.choice(buttons)["callback_data"]
                query = await self.tg.click(user_id, message.message_id, data)
                return Sent(self.tg.last_sent_id, "callback", user_id, f"button {data}", query)
        if kind == "real-button":
            kind, data = "garbage", "m:main"
        if messages and rng.random() < 0.6:
            message = rng.choice(messages)
            query = await self.tg.click(user_id, message.message_id, data)
        else:
            chat = {"id": user_id, "type": "private", "first_name": "X"}
            message_dict = rng.choice(
                [
                    None,  # a button on an inline message
                    {"message_id": rng.randint(1, 10**6), "date": 0, "chat": chat},
                    {
                        "message_id": rng.randint(1, 10**6),
                        "date": int(time.time()) - 3600,
                        "chat": chat,
                        "from": self.tg.bot_user,
                        "text": "an old screen",
                    },
                ]
            )
            query = await self.tg.raw_callback(user_id, data, message_dict)
        return Sent(self.tg.last_sent_id, "callback", user_id, f"{kind} {data!r}", query)

    async def pre_checkout(self, user_id: int) -> Sent:
        rng = self.rng
        payload = rng.choice(
            ["", "topup:", "topup:abc", "topup:-1", "topup:5000000", "x" * 128, "topup:10" * 8]
        )
        currency = rng.choice(["XTR", "USD", "xtr"])
        total = rng.choice([1, 250, 10**6])
        query = await self.tg.pre_checkout(
            user_id, currency=currency, total_amount=total, invoice_payload=payload
        )
        description = f"pre-checkout {payload!r} {total} {currency}"
        return Sent(self.tg.last_sent_id, "pre_checkout", user_id, description, query)

    async def group(self, sender: int) -> Sent:
        rng = self.rng
        group = rng.choice(GROUPS)
        chat = {"id": group, "type": rng.choice(["group", "supergroup"]), "title": "Group"}
        message: dict[str, Any] = {
            "message_id": rng.randint(1, 10**6),
            "date": int(time.time()),
            "chat": chat,
        }
        if rng.random() < 0.15:  # an anonymous group admin
            message["from"] = {"id": ANONYMOUS_ADMIN_BOT, "is_bot": True, "first_name": "Group"}
            message["sender_chat"] = chat
        else:
            message["from"] = {"id": sender, "is_bot": False, "first_name": rng.choice(NAMES)}
        text = rng.choice([*COMMANDS, self.text()])
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        update_id = await self.tg.send_update({"message": message})
        return Sent(update_id, "group", sender, f"group {text[:30]!r}")

    async def not_asked_for(self, sender: int) -> Sent:
        rng = self.rng
        user = {"id": sender, "is_bot": False, "first_name": "U"}
        private = {"id": sender, "type": "private", "first_name": "U"}
        channel = {"id": CHANNEL, "type": "channel", "title": "Channel"}
        base = {"message_id": rng.randint(1, 10**6), "date": int(time.time())}
        kind = rng.choice(sorted(NOT_ASKED_FOR))
        body: dict[str, Any]
        if kind == "edited_message":
            body = {**base, "chat": private, "from": user, "edit_date": 1, "text": "/start"}
        elif kind in ("channel_post", "edited_channel_post"):
            body = {**base, "chat": channel, "text": self.text()}
        elif kind == "my_chat_member":
            member = {"status": "kicked", "user": self.tg.bot_user, "until_date": 0}
            body = {
                "chat": private,
                "from": user,
                "date": 1,
                "old_chat_member": {"status": "member", "user": self.tg.bot_user},
                "new_chat_member": member,
            }
        elif kind == "inline_query":
            body = {"id": str(rng.randrange(10**9)), "from": user, "query": "x", "offset": ""}
        elif kind == "message_reaction":
            body = {
                "chat": private,
                "message_id": 1,
                "user": user,
                "date": 1,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        elif kind == "chat_join_request":
            group = {"id": GROUPS[0], "type": "supergroup", "title": "G"}
            body = {"chat": group, "from": user, "user_chat_id": sender, "date": 1}
        else:  # poll
            body = {
                "id": "1",
                "question": "q",
                "options": [{"text": "a", "voter_count": 1, "persistent_id": "a"}],
                "total_voter_count": 1,
                "is_closed": True,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        update_id = await self.tg.send_update({kind: body})
        return Sent(update_id, "not_asked_for", sender, kind)


@pytest.mark.timeout(180)
async def test_random_updates_are_all_answered_or_ignored_on_purpose(shop: Shop) -> None:
    seed = int(os.environ.get("RANDOM_UPDATES_SEED") or random.SystemRandom().randrange(10**6))
    print(f"\nrandom updates seed: {seed} (replay with RANDOM_UPDATES_SEED={seed})")
    rng = random.Random(seed)
    began = time.monotonic()
    telegram = shop.telegram
    await _seed_orders(shop)
    before = _snapshot(shop)
    generator = Generator(rng, shop)

    sent: list[Sent] = []
    while len(sent) < TOTAL_UPDATES:
        batch_start = telegram.seq
        senders = rng.sample(PRIVATE_USERS, k=BATCH * 3 // 4)
        senders += rng.sample(GROUP_ONLY_SENDERS + PRIVATE_USERS, k=BATCH // 4)
        batch: list[Sent] = []
        for index, sender in enumerate(senders):
            if index < BATCH * 3 // 4:
                batch.append(await generator.private(sender))
            elif rng.random() < 0.6:
                batch.append(await generator.group(sender))
            else:
                batch.append(await generator.not_asked_for(sender))
        await _wait_for_batch(shop, batch)
        _check_batch(shop, batch, batch_start)
        sent += batch
    elapsed = time.monotonic() - began

    kinds = Counter(item.kind for item in sent)
    outcomes = Counter(
        line["outcome"] for item in sent for line in shop.updates.by_id.get(item.update_id, [])
    )
    print(f"{len(sent)} updates in {elapsed:.1f}s: {dict(kinds)}; outcomes {dict(outcomes)}")

    # Every press answered exactly once; every pre-checkout answered (and refused) once.
    answered = Counter(p["callback_query_id"] for p in telegram.calls_to("answerCallbackQuery"))
    queries = [item for item in sent if item.kind == "callback"]
    wrong = [
        (i.description, answered[i.query_id or ""])
        for i in queries
        if answered[i.query_id or ""] != 1
    ]
    assert wrong == [], f"seed {seed}: presses not answered exactly once: {wrong[:10]}"
    pre_checkouts = [item for item in sent if item.kind == "pre_checkout"]
    assert sorted(telegram.pre_checkout_answers) == sorted(i.query_id or "" for i in pre_checkouts)
    for item in pre_checkouts:
        answer = telegram.pre_checkout_answers[item.query_id or ""]
        # Only an invoice the bot could have sent (5.00 at 50 Stars a unit) may be paid.
        assert answer.ok is (item.description == VALID_INVOICE), (item.description, answer)
        assert answer.ok or answer.error_message

    # The Bot API calls the bot made were well-formed (no over-long or unparseable text).
    unexpected = [
        (error.method, error.description)
        for error in telegram.errors
        if not any(expected in error.description for expected in EXPECTED_API_ERRORS)
    ]
    assert unexpected == [], f"seed {seed}: {Counter(unexpected).most_common(10)}"
    # Nothing said in groups or channels.
    spoken_to = {call.params.get("chat_id") for call in telegram.calls}
    assert not spoken_to & {*GROUPS, CHANNEL}
    # No stranger saw an owner's order.
    for user_id in PRIVATE_USERS:
        for message in telegram.messages(user_id, include_deleted=True):
            for owner_orders in shop.owner_orders.values():
                for _, link in owner_orders:
                    assert link not in message.plain_text, (seed, user_id, message.plain_text)
    assert [record.getMessage() for record in shop.errors.records] == [], f"seed {seed}"

    # The database holds what it held before the garbage, and is consistent.
    assert _snapshot(shop) == before, f"seed {seed}"
    assert database_problems(shop.database_path) == []
    registered = {row["id"] for row in rows(shop.database_path, "SELECT id FROM users")}
    assert not registered & set(GROUP_ONLY_SENDERS), "group members were registered"


async def _wait_for_batch(shop: Shop, batch: list[Sent]) -> None:
    telegram = shop.telegram

    def done() -> bool:
        dropped = {update["update_id"] for update in telegram.dropped_updates}
        return all(
            item.update_id in shop.updates.by_id or item.update_id in dropped for item in batch
        )

    # Dropped updates are noticed at the next getUpdates, which comes right after the batch.
    await shop.updates.wait_until(done, 30, "every update of the batch handled or dropped")
    # The last log line of an update is written after its last Bot API call returned, so
    # everything the batch caused has reached the fake server by now.


def _check_batch(shop: Shop, batch: list[Sent], batch_start: int) -> None:
    telegram = shop.telegram
    answered_chats = {
        item.sender
        for item in batch
        if item.sender is not None
        and any(
            message.seq > batch_start
            for message in telegram.messages(item.sender, include_deleted=True)
        )
    }
    for item in batch:
        lines = shop.updates.by_id.get(item.update_id, [])
        where = f"update {item.update_id} ({item.description}) from {item.sender}"
        if item.kind == "not_asked_for":
            assert lines == [], f"{where}: delivered although the bot did not ask for it"
            continue
        assert len(lines) == 1, f"{where}: {len(lines)} log lines"
        line = lines[0]
        if item.kind == "group":
            assert line["outcome"] == "ignored:not-private", f"{where}: {line}"
            continue
        assert line["outcome"] == "handled", f"{where}: {line}"
        assert line["handler"].startswith("handlers."), f"{where}: {line}"
        if item.kind == "private_message":
            assert item.sender in answered_chats, f"{where}: no answer in the chat"


def _snapshot(shop: Shop) -> dict[str, Any]:
    """What garbage must not change: orders, money, broadcasts, the panel's orders."""
    path = shop.database_path
    return {
        "orders": [tuple(row) for row in rows(path, "SELECT id, user_id, status FROM orders")],
        "ledger": [
            tuple(row) for row in rows(path, "SELECT id, user_id, kind, amount FROM ledger")
        ],
        "balances": {
            row["id"]: row["balance"]
            for row in rows(path, "SELECT id, balance FROM users WHERE balance != 0")
        },
        "broadcasts": rows(path, "SELECT COUNT(*) FROM broadcasts")[0][0],
        "payments": rows(path, "SELECT COUNT(*) FROM payments")[0][0],
        "panel_orders": sorted(shop.panel.orders),
        "panel_adds": shop.panel.count("add"),
    }


# One past SQLite's largest integer: such a button can only be forged.
HUGE_ID = 2**63


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(f"s:{HUGE_ID}", id="s"),
        pytest.param(f"os:{HUGE_ID}", id="os"),
        pytest.param(f"c:{HUGE_ID}:0", id="c"),
        pytest.param(f"o:{HUGE_ID}:v:0", id="o"),
        pytest.param(
            ",".join(
                [
                    f"c:1:{HUGE_ID}",
                    f"cp:{HUGE_ID}",
                    f"op:{HUGE_ID}",
                    f"o:1:v:{HUGE_ID}",
                    f"bc:{HUGE_ID}:send",
                    f"tu:{HUGE_ID}",
                    f"lp:{HUGE_ID}",
                    f"ra:{HUGE_ID}",
                    f"mr:{HUGE_ID}:ok",
                    f"sr:{HUGE_ID}:likes",
                ]
            ),
            id="pages-and-the-rest",
        ),
    ],
)
async def test_ids_beyond_64_bits_are_outdated_buttons_not_errors(shop: Shop, data: str) -> None:
    """Well-formed callback data with an id no database can hold: a button like that is
    forged, and must be answered like any stale button, not crash the handler."""
    telegram = shop.telegram
    user = PRIVATE_USERS[0]
    await ChatUser(telegram, user, timeout=SERVICE_TIMEOUT).start()
    menu = telegram.messages(user)[-1]
    sent = []
    for one in data.split(","):
        query = await telegram.click(user, menu.message_id, one)
        sent.append((one, telegram.last_sent_id, query))
    await shop.updates.wait_until(
        lambda: all(update_id in shop.updates.by_id for _, update_id, _ in sent), 15, "answers"
    )
    outcomes = {one: shop.updates.by_id[update_id][0]["outcome"] for one, update_id, _ in sent}
    assert set(outcomes.values()) == {"handled"}, outcomes
    await telegram.wait_for(lambda: all(query in telegram.callback_answers for *_, query in sent))
    assert [record.getMessage() for record in shop.errors.records] == []
