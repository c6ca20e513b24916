"""Payment rails below the handlers: Crypto Pay against its fake over real HTTP, the manual
rail's decisions, and the one crediting path they share (credited once, whatever the races)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.config import ConfigurationError, load_settings
from bot.core.money import Money
from bot.runtime.logging_setup import secrets_of
from bot.services.payments import TopupCrediting, TopupError, TopupLimits
from bot.services.payments.cryptopay import CryptoPayClient, CryptoPayError, CryptoPayRail
from bot.services.payments.manual import ManualTopups, Proof
from bot.testing.cryptopay import DEFAULT_TOKEN, FakeCryptoPay
from bot.web.payment_webhooks import CRYPTOPAY_WEBHOOK_PATH, add_cryptopay_webhook
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository
from storage.topups import EXPIRED, FAILED, PAID, PENDING, REJECTED, REVIEW, Topup

ALICE = 1001
ADMIN_ONE = 9001
ADMIN_TWO = 9002
LIMITS = TopupLimits(Money.parse("1"), Money.parse("500"))


def money(text: str) -> Money:
    return Money.parse(text)


@pytest.fixture
async def repo(engine_database: Database) -> AsyncIterator[Repository]:
    repository = Repository(engine_database)
    for user_id, name in ((ALICE, "Alice"), (ADMIN_ONE, "Olga"), (ADMIN_TWO, "Pavel")):
        await repository.users.register(user_id, language="en", first_name=name, username=None)
    yield repository


@pytest.fixture
async def fake() -> AsyncIterator[FakeCryptoPay]:
    async with FakeCryptoPay() as server:
        yield server


@pytest.fixture
async def rail(repo: Repository, fake: FakeCryptoPay) -> AsyncIterator[CryptoPayRail]:
    client = CryptoPayClient(fake.url, DEFAULT_TOKEN, timeout=httpx.Timeout(2.0))
    crypto = CryptoPayRail(
        repo, client, TopupCrediting(repo, "USD"), LIMITS, token=DEFAULT_TOKEN, currency="USD"
    )
    yield crypto
    await crypto.aclose()


async def ledger_of(repo: Repository, user_id: int) -> list[tuple[EntryKind, Money, str | None]]:
    entries = await repo.ledger.recent(user_id, limit=100)
    return [(entry.kind, entry.amount, entry.reference) for entry in reversed(entries)]


async def receipts(repo: Repository) -> list[tuple[str, str]]:
    rows = await repo.database.fetch_all("SELECT kind, dedupe_key FROM outbox ORDER BY id")
    return [(row[0], row[1]) for row in rows]


# --- Crypto Pay -----------------------------------------------------------------------------


async def test_an_invoice_in_the_shop_currency_paid_by_poll_is_credited_once(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    checkout = await rail.create(ALICE, money("12.5"))
    [params] = fake.calls_to("createInvoice")
    assert params == {
        "currency_type": "fiat",
        "fiat": "USD",
        "amount": "12.50",
        "accepted_assets": "USDT,TON,BTC,ETH,LTC,TRX",
        "payload": str(checkout.topup_id),
        "expires_in": "3600",
    }
    [invoice] = fake.invoices.values()
    assert checkout.url == invoice.to_api()["bot_invoice_url"]
    topup = await repo.topups.get(checkout.topup_id)
    assert topup is not None
    assert (topup.status, topup.provider_payment_id) == (PENDING, str(invoice.invoice_id))

    await rail.poll()  # still active: nothing happens
    assert await repo.ledger.balance(ALICE) == Money.zero()
    fake.mark_paid(invoice.invoice_id, asset="TON")
    await rail.poll()
    await rail.poll()  # reported paid again: no second credit
    assert await ledger_of(repo, ALICE) == [
        (EntryKind.TOPUP, money("12.5"), f"cryptopay:{invoice.invoice_id}")
    ]
    assert await receipts(repo) == [("topup_paid", f"topup:{checkout.topup_id}:paid")]
    assert [call["invoice_ids"] for call in fake.calls_to("getInvoices")] == [
        str(invoice.invoice_id)
    ] * 2  # the third poll found no open invoice to ask about
    assert await repo.ledger.mismatched_balances() == []


async def test_one_invoice_that_fails_to_settle_holds_back_no_other(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await rail.create(ALICE, money("5"))
    await rail.create(ALICE, money("7"))
    for invoice in fake.invoices.values():
        fake.mark_paid(invoice.invoice_id, asset="TON")
    crediting = rail._crediting
    credit = crediting.credit

    async def failing_for_the_first(topup: Topup, **arguments: Any) -> Any:
        if topup.id == first.topup_id:  # a row that fails every time (a bug, bad data)
            raise RuntimeError("cannot credit this one")
        return await credit(topup, **arguments)

    monkeypatch.setattr(crediting, "credit", failing_for_the_first)
    await rail.poll()  # logged, not raised
    assert [entry[1] for entry in await ledger_of(repo, ALICE)] == [money("7")]
    monkeypatch.undo()
    await rail.poll()  # the next round settles it
    assert await repo.ledger.balance(ALICE) == money("12")


async def test_webhook_and_poll_reporting_at_once_credit_once(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    checkout = await rail.create(ALICE, money("10"))
    [invoice] = fake.invoices.values()
    fake.mark_paid(invoice.invoice_id)
    body = fake.update(invoice.invoice_id)
    answers = await asyncio.gather(
        *(rail.take_webhook(body, fake.signature(body)) for _ in range(5)),
        *(rail.poll() for _ in range(3)),
    )
    assert [answer.status for answer in answers[:5] if answer is not None] == [200] * 5
    assert await repo.ledger.balance(ALICE) == money("10")
    assert await repo.ledger.count(ALICE) == 1
    assert len(await receipts(repo)) == 1
    topup = await repo.topups.get(checkout.topup_id)
    assert topup is not None and topup.status == PAID


async def test_the_webhook_refuses_what_crypto_pay_did_not_sign(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    await rail.create(ALICE, money("10"))
    [invoice] = fake.invoices.values()
    fake.mark_paid(invoice.invoice_id)
    body = fake.update(invoice.invoice_id)
    tampered = body.replace(b'"10.00"', b'"99.00"')
    forged = [
        (body, None),
        (body, ""),
        (body, "0" * 64),
        (body, fake.signature(body, token="12345:some-other-apps-token")),
        (tampered, fake.signature(body)),  # the signature of another body
        (body, fake.signature(body)[:-1]),
    ]
    for raw, header in forged:
        answer = await rail.take_webhook(raw, header)
        assert (answer.status, answer.body) == (401, {"error": "bad signature"}), header
    assert await repo.ledger.balance(ALICE) == Money.zero()

    for not_json in (b"{not json", b"[" * 10_000, b"\xff\xfe"):  # nested past the parser too
        answer = await rail.take_webhook(not_json, fake.signature(not_json))
        assert answer.status == 400 and "error" in answer.body
    other = json.dumps({"update_type": "something_else", "payload": {}}).encode()
    assert (await rail.take_webhook(other, fake.signature(other))).status == 200
    bad_invoice = json.dumps({"update_type": "invoice_paid", "payload": {"x": 1}}).encode()
    assert (await rail.take_webhook(bad_invoice, fake.signature(bad_invoice))).status == 400
    # Uppercase hex is the same signature.
    answer = await rail.take_webhook(body, fake.signature(body).upper())
    assert answer.status == 200
    assert await repo.ledger.balance(ALICE) == money("10")


async def test_a_webhook_for_an_invoice_whose_creation_answer_was_lost_is_credited(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    checkout = await rail.create(ALICE, money("7"))
    [invoice] = fake.invoices.values()
    # As if the bot had crashed before recording the invoice id: the payload names the row.
    await repo.database.execute(
        "UPDATE topups SET provider_payment_id = NULL WHERE id = ?", (checkout.topup_id,)
    )
    fake.mark_paid(invoice.invoice_id)
    body = fake.update(invoice.invoice_id)
    assert (await rail.take_webhook(body, fake.signature(body))).status == 200
    assert await ledger_of(repo, ALICE) == [
        (EntryKind.TOPUP, money("7"), f"cryptopay:{invoice.invoice_id}")
    ]


async def test_an_expired_invoice_ends_the_top_up_and_tells_the_customer_once(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    checkout = await rail.create(ALICE, money("10"))
    [invoice] = fake.invoices.values()
    fake.mark_expired(invoice.invoice_id)
    await rail.poll()
    await rail.poll()
    topup = await repo.topups.get(checkout.topup_id)
    assert topup is not None and topup.status == EXPIRED
    assert await receipts(repo) == [("topup_closed", f"topup:{checkout.topup_id}:expired")]
    assert await repo.ledger.balance(ALICE) == Money.zero()


async def test_an_outage_is_a_plain_refusal_and_a_failed_poll_changes_nothing(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    fake.down = True
    with pytest.raises(TopupError) as refused:
        await rail.create(ALICE, money("10"))
    assert refused.value.message_id == "cryptopay-unavailable"
    [row] = await repo.database.fetch_all("SELECT status FROM topups")
    assert row[0] == FAILED

    fake.down = False
    checkout = await rail.create(ALICE, money("10"))
    fake.down = True
    await rail.poll()  # logged, not raised
    topup = await repo.topups.get(checkout.topup_id)
    assert topup is not None and topup.status == PENDING

    with pytest.raises(TopupError, match="topup-out-of-range"):
        await rail.create(ALICE, money("500.01"))


async def test_a_refusal_by_crypto_pay_is_told_apart_from_an_outage(
    repo: Repository, fake: FakeCryptoPay
) -> None:
    client = CryptoPayClient(fake.url, DEFAULT_TOKEN, timeout=httpx.Timeout(2.0))
    swiss = CryptoPayRail(
        repo, client, TopupCrediting(repo, "CHF"), LIMITS, token=DEFAULT_TOKEN, currency="CHF"
    )
    with pytest.raises(TopupError) as refused:
        await swiss.create(ALICE, money("10"))
    assert refused.value.message_id == "cryptopay-refused"  # FIAT_INVALID: the owner's to fix
    await swiss.aclose()


async def test_the_token_is_checked_once_without_holding_anything_up(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    assert await rail.check_token()
    fake.down = True
    assert not await rail.check_token()
    fake.down = False
    fake.token = "1:a-token-crypto-pay-revoked"
    assert not await rail.check_token()
    assert [method for method, _ in fake.calls] == ["getMe"] * 3


async def test_the_client_reports_refusals_without_the_token(fake: FakeCryptoPay) -> None:
    wrong = CryptoPayClient(fake.url, "999:not-the-token-at-all", timeout=httpx.Timeout(2.0))
    with pytest.raises(CryptoPayError) as refused:
        await wrong.get_me()
    assert (refused.value.code, refused.value.name) == (401, "UNAUTHORIZED")
    assert "not-the-token" not in str(refused.value)
    await wrong.aclose()
    right = CryptoPayClient(fake.url, DEFAULT_TOKEN, timeout=httpx.Timeout(2.0))
    assert (await right.get_me())["app_id"] == 4242
    with pytest.raises(CryptoPayError) as unknown:
        await right.call("noSuchMethod")
    assert (unknown.value.code, unknown.value.name) == (405, "METHOD_NOT_FOUND")
    await right.aclose()


async def test_the_webhook_route_answers_json_over_http(
    repo: Repository, rail: CryptoPayRail, fake: FakeCryptoPay
) -> None:
    app = web.Application()
    add_cryptopay_webhook(app, rail)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{CRYPTOPAY_WEBHOOK_PATH}"
    try:
        await rail.create(ALICE, money("3"))
        [invoice] = fake.invoices.values()
        fake.mark_paid(invoice.invoice_id)
        body = fake.update(invoice.invoice_id)
        forged = await fake.post_webhook(url, body, signature="f" * 64)
        assert (forged.status_code, forged.json()) == (401, {"error": "bad signature"})
        for _ in range(2):
            signed = await fake.post_webhook(url, body)
            assert (signed.status_code, signed.json()) == (200, {"ok": True})
        broken = await fake.post_webhook(url, b"[")
        assert broken.status_code == 400 and "error" in broken.json()
    finally:
        await runner.cleanup()
    assert await repo.ledger.balance(ALICE) == money("3")


def test_cryptopay_settings() -> None:
    base = {"BOT_TOKEN": "123456:TEST-token-abcdefghijklmnopqrstuvwxyz", "SMM_API_URL": "demo"}
    defaults = load_settings(_env_file=None, **base)
    assert defaults.CRYPTOPAY_TOKEN is None
    assert defaults.CRYPTOPAY_API_URL == "https://pay.crypt.bot/api"
    assert defaults.CRYPTOPAY_ASSETS == ("USDT", "TON", "BTC", "ETH", "LTC", "TRX")
    assert defaults.CRYPTOPAY_POLL_SECONDS == 15
    assert defaults.MANUAL_TOPUP_TEXT == ""
    assert defaults.TOPUP_EXPIRY_MINUTES == 60
    configured = load_settings(
        _env_file=None,
        CRYPTOPAY_TOKEN=f" {DEFAULT_TOKEN} ",
        CRYPTOPAY_API_URL="https://testnet-pay.crypt.bot/api/",
        CRYPTOPAY_ASSETS="usdt, ton",
        MANUAL_TOPUP_TEXT="Card 4000 0000 0000 0002\\nBank: Example",
        **base,
    )
    assert configured.CRYPTOPAY_API_URL == "https://testnet-pay.crypt.bot/api"
    assert configured.CRYPTOPAY_ASSETS == ("USDT", "TON")
    assert configured.MANUAL_TOPUP_TEXT == "Card 4000 0000 0000 0002\nBank: Example"
    assert DEFAULT_TOKEN in secrets_of(configured)  # scrubbed from every log line
    assert DEFAULT_TOKEN not in repr(configured)
    for name, value in (
        ("CRYPTOPAY_TOKEN", "not a token"),
        ("CRYPTOPAY_API_URL", "pay.crypt.bot"),
        ("CRYPTOPAY_ASSETS", "USDT,$$"),
        ("CRYPTOPAY_POLL_SECONDS", "0"),
        ("TOPUP_EXPIRY_MINUTES", "2"),
        ("TOPUP_EXPIRY_MINUTES", "50000"),
    ):
        with pytest.raises(ConfigurationError, match=name) as error:
            load_settings(_env_file=None, **{name: value}, **base)
        if name == "CRYPTOPAY_TOKEN":
            assert value not in str(error.value)


# --- manual transfers -----------------------------------------------------------------------


def manual_rail(repo: Repository) -> ManualTopups:
    return ManualTopups(
        repo, TopupCrediting(repo, "USD"), LIMITS, instructions="Card 4000", currency="USD"
    )


async def reviewed(repo: Repository, rail: ManualTopups, amount: str) -> int:
    checkout = await rail.create(ALICE, money(amount))
    await rail.attach_proof(checkout.topup_id, ALICE, Proof("text", ALICE, 77, "paid at 10:00"))
    return checkout.topup_id


async def test_two_admins_approving_at_once_credit_once(repo: Repository) -> None:
    rail = manual_rail(repo)
    request = await reviewed(repo, rail, "20")
    results = await asyncio.gather(
        rail.approve(request, ADMIN_ONE), rail.approve(request, ADMIN_TWO), return_exceptions=True
    )
    approved = [result for result in results if not isinstance(result, BaseException)]
    refused = [result for result in results if isinstance(result, TopupError)]
    assert len(approved) == 1 and len(refused) == 1
    winner = approved[0].decided_by
    assert refused[0].message_id == "manual-already-approved"
    assert refused[0].arguments["admin"] == ("Olga" if winner == ADMIN_ONE else "Pavel")
    assert await ledger_of(repo, ALICE) == [(EntryKind.TOPUP, money("20"), f"manual:{request}")]
    with pytest.raises(TopupError, match="manual-already-approved"):
        await rail.reject(request, ADMIN_ONE, "late")
    assert len(await receipts(repo)) == 1


async def test_a_rejected_request_keeps_its_reason_and_is_never_credited(
    repo: Repository,
) -> None:
    rail = manual_rail(repo)
    request = await reviewed(repo, rail, "15")
    assert [topup.id for topup in await rail.waiting()] == [request]
    rejected = await rail.reject(request, ADMIN_TWO, "  No transfer arrived  ")
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        REJECTED,
        "No transfer arrived",
        ADMIN_TWO,
    )
    with pytest.raises(TopupError) as late:
        await rail.approve(request, ADMIN_ONE)
    assert late.value.message_id == "manual-already-rejected"
    assert late.value.arguments["admin"] == "Pavel"
    assert await rail.waiting() == []
    assert await repo.ledger.balance(ALICE) == Money.zero()
    assert await receipts(repo) == [("topup_closed", f"topup:{request}:rejected")]


async def test_a_request_without_proof_expires_once_and_one_with_proof_never(
    repo: Repository,
) -> None:
    rail = ManualTopups(
        repo,
        TopupCrediting(repo, "USD"),
        LIMITS,
        instructions="x",
        currency="USD",
        expiry_minutes=30,
    )
    waiting = await rail.create(ALICE, money("5"))
    proven = await reviewed(repo, rail, "7")
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert await rail.expire_stale(now=later) == 1
    assert await rail.expire_stale(now=later) == 0  # told once
    assert await receipts(repo) == [("topup_closed", f"topup:{waiting.topup_id}:expired")]
    with pytest.raises(TopupError, match="manual-request-gone"):
        await rail.attach_proof(waiting.topup_id, ALICE, Proof("text", ALICE, 1, "late"))
    assert [topup.id for topup in await rail.waiting()] == [proven]  # still for the admins
    expired = await repo.topups.get(waiting.topup_id)
    assert expired is not None and expired.status == EXPIRED
    assert await repo.ledger.balance(ALICE) == Money.zero()


async def test_proof_only_for_ones_own_pending_request(repo: Repository) -> None:
    rail = manual_rail(repo)
    checkout = await rail.create(ALICE, money("5"))
    with pytest.raises(TopupError, match="manual-request-gone"):
        await rail.attach_proof(checkout.topup_id, ADMIN_ONE, Proof("text", ADMIN_ONE, 1, "x"))
    with pytest.raises(TopupError, match="manual-proof-kind"):
        await rail.attach_proof(checkout.topup_id, ALICE, Proof("sticker", ALICE, 1))
    topup = await rail.attach_proof(checkout.topup_id, ALICE, Proof("photo", ALICE, 5))
    assert (topup.status, topup.proof_kind, topup.proof_message_id) == (REVIEW, "photo", 5)
    with pytest.raises(TopupError, match="manual-request-gone"):  # proof is sent once
        await rail.attach_proof(checkout.topup_id, ALICE, Proof("photo", ALICE, 6))
    with pytest.raises(TopupError, match="manual-not-found"):
        await rail.approve(987654, ADMIN_ONE)
