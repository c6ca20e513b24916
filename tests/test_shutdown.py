"""Graceful shutdown: ``python -m bot`` stopped by SIGTERM or SIGINT while it is busy.

The signal lands while a customer's Confirm is being handled (the order is at the panel,
which answers after a second), another customer is half-way through the order flow and the
status sync polls the slow panel. The process must exit 0 within a few seconds, having
finished the order (placed, not left ``placing``), with a consistent database; the next start
finds nothing to recover and the half-way customer goes on where they left off.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.testing.panel import FakePanel, default_services
from bot.testing.telegram import FakeTelegramServer, WebhookTelegram
from bot.testing.user import ChatUser
from tests.service_harness import (
    SERVICE_TIMEOUT,
    BotProcess,
    bot_env,
    credit,
    database_problems,
    free_port,
    rows,
    start_bot,
    tail,
    wait_until_polling,
    wait_until_webhook_set,
)

ALICE = 100_000_201
BOB = 100_000_202
FOLLOWERS = default_services()[1]  # Instagram, 50-10000
LINK = "https://instagram.com/p/shutdown_test"
# "Within a few seconds": the handler in flight needs ~1 s of panel latency, the rest is
# closing; a shutdown that waits out a 5 s grace period or hangs fails this.
EXIT_WITHIN = 8.0
PANEL_LATENCY = 1.0
# A handler (or background task) that never finishes is given up on after the 5 s grace
# period; the exit must still beat a service manager's stop timeout (10 s in Docker).
HUNG_EXIT_WITHIN = 9.0

T = TypeVar("T")


async def side_by_side(
    body: Callable[[Path, T], Awaitable[None]], tmp_path: Path, variants: dict[str, T]
) -> None:
    """Run ``body`` for every variant at the same time, each in its own directory with its own
    fakes, database and bot process: these tests mostly wait (grace periods, a slow panel, a
    signal's shutdown), so side by side they take the time of one. A failure names its variant.
    """

    async def one(name: str, variant: T) -> None:
        directory = tmp_path / name
        directory.mkdir()
        try:
            await body(directory, variant)
        except BaseException as error:
            error.add_note(f"(variant {name})")
            raise

    async with asyncio.TaskGroup() as group:
        for name, variant in variants.items():
            group.create_task(one(name, variant))


async def in_both_modes(body: Callable[[Path, str], Awaitable[None]], tmp_path: Path) -> None:
    """``body`` in polling and in webhook mode, side by side."""
    await side_by_side(body, tmp_path, {"polling": "polling", "webhook": "webhook"})


async def _stop(process: BotProcess, signal_number: int) -> tuple[int, float]:
    signalled = time.monotonic()
    process.send_signal(signal_number)
    code = await process.wait(30)
    return code, time.monotonic() - signalled


def _run_log(process: BotProcess, start_marker: str) -> str:
    """The log lines of the run that began at ``start_marker``."""
    return process.log().split(start_marker, 1)[1]


def _mark(process_log: Path, marker: str) -> None:
    with process_log.open("a", encoding="utf-8") as log:
        log.write(f"\n{marker}\n")


async def _busy_then_signal(
    telegram: FakeTelegramServer,
    panel: FakePanel,
    process: BotProcess,
    signal_number: int,
) -> tuple[str, int, float]:
    """Alice confirms an order the slow panel takes a second to accept; Bob stops at the
    quantity prompt; the signal arrives while Alice's Confirm is at the panel.
    Returns the Confirm's callback query id, the exit code and the seconds to exit."""
    alice, bob = (
        ChatUser(telegram, ALICE, timeout=SERVICE_TIMEOUT),
        ChatUser(telegram, BOB, timeout=SERVICE_TIMEOUT),
    )
    await alice.start()
    await bob.start()
    await credit(telegram, ALICE, "50")
    card = await alice.reach_confirmation(
        category="Instagram", service=FOLLOWERS.name, link=LINK, quantity=1000
    )
    # Bob is in the middle of an order: his link is taken, the bot waits for a quantity.
    await bob.begin_order(category="Instagram", service=FOLLOWERS.name)
    await bob.say(LINK + "_bob")

    panel.latency = PANEL_LATENCY
    adds = panel.count("add")
    query = await alice.click(alice.t("button-confirm"), message_id=card.message_id)
    # The panel has the add (it answers a second later): the Confirm handler is in flight.
    await panel.wait_until(lambda: panel.count("add") == adds + 1, within=15)
    assert telegram.callback_answers.get(query) is None, "the Confirm was already answered"
    code, seconds = await _stop(process, signal_number)
    return query, code, seconds


def _assert_order_finished(telegram: FakeTelegramServer, panel: FakePanel, query: str, db: Path):
    orders = rows(db, "SELECT id, user_id, status, upstream_id, link FROM orders")
    assert len(orders) == 1, [dict(order) for order in orders]
    order = orders[0]
    assert order["user_id"] == ALICE
    panel_orders = [o for o in panel.orders.values() if o.link == LINK]
    assert len(panel_orders) == 1
    assert (order["status"], order["upstream_id"]) == ("Pending", panel_orders[0].order_id), dict(
        order
    )
    # Alice heard about it: the press was answered and the card became the placed notice.
    assert telegram.callback_answers.get(query) is not None, "the in-flight Confirm was dropped"
    placed = ChatUser(telegram, ALICE).t("order-placed", id=order["id"], service=FOLLOWERS.name)
    placed_text = re.sub(r"<[^>]+>", "", placed)
    last = telegram.last_message(ALICE)
    assert last is not None and last.plain_text.startswith(placed_text), (
        last.plain_text if last else None
    )


@pytest.mark.timeout(240)
async def test_signal_while_an_order_is_at_the_panel_finishes_it_and_exits_0(
    tmp_path: Path,
) -> None:
    """SIGTERM and SIGINT, side by side."""
    signals = {"TERM": signal.SIGTERM, "INT": signal.SIGINT}
    await side_by_side(_signal_while_an_order_is_at_the_panel, tmp_path, signals)


async def _signal_while_an_order_is_at_the_panel(tmp_path: Path, signal_number: int) -> None:
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    async with FakePanel() as panel, FakeTelegramServer() as telegram:
        env = bot_env(telegram, panel, database)
        process = await start_bot(env, log_path)
        try:
            await wait_until_polling(telegram, process, 0)
            query, code, seconds = await _busy_then_signal(telegram, panel, process, signal_number)
            log = process.log()
            assert code == 0, f"exit code {code}\n{tail(log)}"
            assert seconds < EXIT_WITHIN, f"took {seconds:.1f}s to exit\n{tail(log)}"
            print(f"{signal.Signals(signal_number).name}: exited 0 in {seconds:.2f}s")
            _assert_order_finished(telegram, panel, query, database)
            assert database_problems(database) == []
            assert "still running at shutdown" not in log
            assert "did not stop in time" not in log
            assert "Traceback" not in log, tail(log)
            assert log.rstrip().endswith("Storefront stopped"), tail(log)

            # The next start has nothing to recover, and Bob goes on at the quantity step.
            panel.latency = 0.0
            marker = "===== restart ====="
            _mark(log_path, marker)
            since = len(telegram.calls)
            process = await start_bot(env, log_path)
            await wait_until_polling(telegram, process, since)
            restart_log = _run_log(process, marker)
            assert "interrupted while being placed" not in restart_log, tail(restart_log)
            bob = ChatUser(telegram, BOB, timeout=SERVICE_TIMEOUT)
            confirm = bob.t("button-confirm")
            card = await bob.say("100", where=lambda m: confirm in m.button_texts)
            assert LINK + "_bob" in card.plain_text
            # Alice's press was not delivered a second time (it would have been answered
            # "already placed"): still exactly one order, still the placed one.
            _assert_order_finished(telegram, panel, query, database)

            code, seconds = await _stop(process, signal.SIGTERM)
            assert code == 0, tail(process.log())
            assert rows(database, "SELECT status FROM orders WHERE status = 'unknown'") == []
            assert database_problems(database) == []
        finally:
            await process.kill()


@pytest.mark.timeout(240)
async def test_sigterm_in_webhook_mode_finishes_the_request_in_flight_and_exits_0(
    tmp_path: Path,
) -> None:
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    port = free_port()
    async with FakePanel() as panel, WebhookTelegram() as telegram:
        env = bot_env(
            telegram,
            panel,
            database,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET="shutdown-test-secret_0123456789",
        )
        process = await start_bot(env, log_path)
        try:
            await wait_until_webhook_set(telegram, process, 0)
            query, code, seconds = await _busy_then_signal(telegram, panel, process, signal.SIGTERM)
            log = process.log()
            assert code == 0, f"exit code {code}\n{tail(log)}"
            assert seconds < EXIT_WITHIN, f"took {seconds:.1f}s to exit\n{tail(log)}"
            print(f"webhook SIGTERM: exited 0 in {seconds:.2f}s")
            # The Confirm's POST was answered 200 (Telegram will not send it again) and done.
            assert [d.status for d in telegram.deliveries_of_callback(query)] == [200]
            _assert_order_finished(telegram, panel, query, database)
            assert database_problems(database) == []
            assert telegram.calls_to("deleteWebhook") == []
            assert "Traceback" not in log, tail(log)

            # Restarted: the webhook is set again and nothing needs recovering.
            panel.latency = 0.0
            marker = "===== restart ====="
            _mark(log_path, marker)
            since = len(telegram.calls)
            process = await start_bot(env, log_path)
            await wait_until_webhook_set(telegram, process, since)
            assert "interrupted while being placed" not in _run_log(process, marker)
            bob = ChatUser(telegram, BOB, timeout=SERVICE_TIMEOUT)
            confirm = bob.t("button-confirm")
            await bob.say("100", where=lambda m: confirm in m.button_texts)
            code, _ = await _stop(process, signal.SIGTERM)
            assert code == 0, tail(process.log())
            assert telegram.calls_to("deleteWebhook") == []
            assert database_problems(database) == []
            _assert_order_finished(telegram, panel, query, database)
        finally:
            await process.kill()


@pytest.mark.timeout(240)
async def test_sigterm_in_webhook_mode_while_the_bot_waits_on_telegram(tmp_path: Path) -> None:
    """The handler in flight is in the middle of a Bot API request when the signal comes:
    the request must complete, not fail because shutdown closed the bot's HTTP session."""
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    port = free_port()
    async with FakePanel() as panel, WebhookTelegram() as telegram:
        env = bot_env(
            telegram,
            panel,
            database,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET="shutdown-test-secret_0123456789",
            STATUS_POLL_SECONDS="3600",
        )
        process = await start_bot(env, log_path)
        try:
            await wait_until_webhook_set(telegram, process, 0)
            alice = ChatUser(telegram, ALICE, timeout=SERVICE_TIMEOUT)
            await alice.start()
            await credit(telegram, ALICE, "50")
            card = await alice.reach_confirmation(
                category="Instagram", service=FOLLOWERS.name, link=LINK, quantity=1000
            )
            telegram.latency = PANEL_LATENCY
            since = len(telegram.calls)
            query = await alice.click(alice.t("button-confirm"), message_id=card.message_id)
            # The order is placed and the bot is now showing it: that request is at Telegram.
            await telegram.wait_for(
                lambda: any(
                    call.method == "editMessageText" and call.params.get("chat_id") == ALICE
                    for call in telegram.calls[since:]
                ),
                timeout=15,
            )
            code, seconds = await _stop(process, signal.SIGTERM)
            log = process.log()
            assert code == 0, tail(log)
            assert seconds < EXIT_WITHIN, f"took {seconds:.1f}s\n{tail(log)}"
            telegram.latency = 0.0
            assert " ERROR " not in log, tail(log)
            apology = alice.t("error-generic")
            assert all(apology not in m.plain_text for m in telegram.messages(ALICE))
            assert [d.status for d in telegram.deliveries_of_callback(query)] == [200]
            _assert_order_finished(telegram, panel, query, database)
        finally:
            await process.kill()


def _webhook_env(
    telegram: FakeTelegramServer, panel: FakePanel, database: Path, **overrides: str
) -> dict[str, str]:
    port = free_port()
    return bot_env(
        telegram,
        panel,
        database,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="shutdown-test-secret_0123456789",
        **overrides,
    )


@pytest.mark.timeout(240)
async def test_a_signal_during_start_up_is_a_clean_stop(tmp_path: Path) -> None:
    """SIGTERM while start-up waits on a slow panel (the currency, then the catalog):
    exit 0, not death by SIGTERM; a webhook is not even set."""
    await in_both_modes(_signal_during_start_up, tmp_path)


async def _signal_during_start_up(tmp_path: Path, mode: str) -> None:
    database = tmp_path / "storefront.sqlite3"
    async with FakePanel(slow_seconds=2.0) as panel, WebhookTelegram() as telegram:
        make_env = bot_env if mode == "polling" else _webhook_env
        # No SHOP_CURRENCY: the first thing the bot does is ask the panel for its currency.
        env = make_env(telegram, panel, database, SHOP_CURRENCY="")
        for action in ("balance", "services"):
            panel.fail_next(action, "slow")
            process = await start_bot(env, tmp_path / f"bot-{action}.log")
            try:
                await panel.wait_until(lambda a=action: panel.count(a) >= 1, within=60)
                code, seconds = await _stop(process, signal.SIGTERM)
                log = process.log()
                assert code == 0, f"{action}: exit code {code}\n{tail(log)}"
                assert seconds < EXIT_WITHIN, f"{action}: took {seconds:.1f}s\n{tail(log)}"
                assert "Traceback" not in log, tail(log)
                assert telegram.calls_to("setWebhook") == []
            finally:
                await process.kill()
            # The next start's catalog call is the slow one.
            panel.call_counts.clear()
            env["SHOP_CURRENCY"] = "USD"
        assert database_problems(database) == []


@pytest.mark.timeout(240)
async def test_sigterm_while_the_panel_hangs_exits_and_leaves_the_order_to_recover(
    tmp_path: Path,
) -> None:
    """The panel never answers the add: shutdown gives up after its grace period, exits 0,
    and the order is left where a restart finishes it (unknown, for the admin to settle),
    with the customer's money held, not lost or doubled."""
    await in_both_modes(_panel_hung_at_sigterm, tmp_path)


async def _panel_hung_at_sigterm(tmp_path: Path, mode: str) -> None:
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    async with FakePanel(slow_seconds=120.0) as panel, WebhookTelegram() as telegram:
        env = (bot_env if mode == "polling" else _webhook_env)(telegram, panel, database)
        process = await start_bot(env, log_path)
        try:
            if mode == "polling":
                await wait_until_polling(telegram, process, 0)
            else:
                await wait_until_webhook_set(telegram, process, 0)
            alice = ChatUser(telegram, ALICE, timeout=SERVICE_TIMEOUT)
            await alice.start()
            await credit(telegram, ALICE, "50")
            card = await alice.reach_confirmation(
                category="Instagram", service=FOLLOWERS.name, link=LINK, quantity=1000
            )
            panel.fail_next("add", "slow")
            await alice.click(alice.t("button-confirm"), message_id=card.message_id)
            await panel.wait_until(lambda: panel.count("add") == 1, within=15)
            code, seconds = await _stop(process, signal.SIGTERM)
            log = process.log()
            assert code == 0, f"exit code {code}\n{tail(log)}"
            assert seconds < HUNG_EXIT_WITHIN, f"took {seconds:.1f}s\n{tail(log)}"
            assert "still running at shutdown" in log, tail(log)
            assert database_problems(database, allow_placing=True) == []

            marker = "===== restart ====="
            _mark(log_path, marker)
            since = len(telegram.calls)
            process = await start_bot(env, log_path)
            if mode == "polling":
                await wait_until_polling(telegram, process, since)
            else:
                await wait_until_webhook_set(telegram, process, since)
            (order,) = rows(database, "SELECT id, status, price FROM orders")
            assert order["status"] == "unknown", dict(order)
            # Charged once, refunded never (yet): the admin decides with the panel's records.
            ledger = rows(database, "SELECT kind, amount FROM ledger WHERE user_id = ?", (ALICE,))
            assert sorted(row["kind"] for row in ledger) == ["admin_credit", "order_charge"]
            code, _ = await _stop(process, signal.SIGTERM)
            assert code == 0, tail(process.log())
            assert database_problems(database) == []
        finally:
            await process.kill()


@pytest.mark.timeout(240)
async def test_a_panel_hung_under_an_update_and_the_status_sync_costs_one_grace_period(
    tmp_path: Path,
) -> None:
    """The updates in flight and the background work get their grace periods at the same
    time: stuck in both, the bot still exits well within a service manager's stop timeout
    (Docker sends SIGKILL after 10 s)."""
    await in_both_modes(_panel_hung_twice, tmp_path)


async def _panel_hung_twice(tmp_path: Path, mode: str) -> None:
    database = tmp_path / "storefront.sqlite3"
    async with FakePanel(slow_seconds=120.0) as panel, WebhookTelegram() as telegram:
        env = (bot_env if mode == "polling" else _webhook_env)(telegram, panel, database)
        process = await start_bot(env, tmp_path / "bot.log")
        try:
            if mode == "polling":
                await wait_until_polling(telegram, process, 0)
            else:
                await wait_until_webhook_set(telegram, process, 0)
            alice = ChatUser(telegram, ALICE, timeout=SERVICE_TIMEOUT)
            await alice.start()
            await credit(telegram, ALICE, "50")
            card = await alice.reach_confirmation(
                category="Instagram", service=FOLLOWERS.name, link=LINK, quantity=1000
            )
            query = await alice.click(alice.t("button-confirm"), message_id=card.message_id)
            await telegram.wait_for_callback_answer(query, timeout=15)
            # The status sync (every second) now has an order to ask about: its next
            # question hangs, and so does the next order's add.
            panel.fail_next("status", "slow")
            statuses = panel.count("status")
            await panel.wait_until(lambda: panel.count("status") > statuses, within=15)
            card = await alice.reach_confirmation(
                category="Instagram", service=FOLLOWERS.name, link=LINK + "_2", quantity=1000
            )
            panel.fail_next("add", "slow")
            await alice.click(alice.t("button-confirm"), message_id=card.message_id)
            await panel.wait_until(lambda: panel.count("add") == 2, within=15)
            assert panel.in_flight == 2

            code, seconds = await _stop(process, signal.SIGTERM)
            log = process.log()
            assert code == 0, f"exit code {code}\n{tail(log)}"
            print(f"{mode}: both hung, exited in {seconds:.2f}s")
            assert seconds < HUNG_EXIT_WITHIN, f"took {seconds:.1f}s\n{tail(log)}"
            assert database_problems(database, allow_placing=True) == []
        finally:
            await process.kill()
