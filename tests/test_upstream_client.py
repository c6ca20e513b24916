"""HttpPanelClient against a fake panel over real HTTP: every action, every quirk, every failure."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator
from decimal import Decimal
from urllib.parse import parse_qs, quote_plus

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.ids import MAX_PANEL_ID
from bot.core.money import parse_decimal
from bot.testing.panel import FakePanel, FakeService
from bot.upstream.client import BATCH_LIMIT, SERVICES_READ_TIMEOUT_FACTOR, HttpPanelClient
from bot.upstream.errors import (
    PanelOutcomeUnknownError,
    PanelRefusedError,
    PanelUnreachableError,
    UpstreamError,
)
from bot.upstream.parsing import (
    MAX_COUNT,
    normalize_refill_status,
    normalize_status,
    parse_bool,
    parse_count,
    parse_int,
    parse_order_status,
    parse_positive_id,
    parse_service,
)
from bot.upstream.types import ItemError, NewOrder, OrderStatus, PanelBalance, PanelService

FAST_TIMEOUT = httpx.Timeout(connect=1.0, read=0.3, write=1.0, pool=1.0)
LINK = "https://instagram.com/some.account"
CLIENT_LOGGER = "bot.upstream.client"
# Loading CA certificates takes ~50 ms per httpx client; once per run keeps the suite fast.
TLS_CONTEXT = ssl.create_default_context()


@pytest.fixture
async def panel() -> AsyncIterator[FakePanel]:
    async with FakePanel(slow_seconds=5.0) as fake:
        yield fake


@pytest.fixture
async def client(panel: FakePanel) -> AsyncIterator[HttpPanelClient]:
    async with (
        httpx.AsyncClient(verify=TLS_CONTEXT) as http,
        HttpPanelClient(
            panel.url, panel.api_key, http_client=http, timeout=FAST_TIMEOUT, retry_backoff=0.0
        ) as panel_client,
    ):
        yield panel_client


def client_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == CLIENT_LOGGER and record.levelno >= logging.WARNING
    ]


# --- parsing helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("Cancelled", "Canceled"),
        ("canceled", "Canceled"),
        ("CANCELED", "Canceled"),
        ("processing", "Processing"),
        ("in progress", "In progress"),
        ("inprogress", "In progress"),
        ("In Progress", "In progress"),
        ("IN_PROGRESS", "In progress"),
        ("pending", "Pending"),
        ("completed", "Completed"),
        (" partial ", "Partial"),
        ("Refunded", "Canceled"),
        ("  Awaiting ", "Awaiting"),
        ("", ""),
    ],
)
def test_normalize_status(sent: str, canonical: str) -> None:
    assert normalize_status(sent) == canonical


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("rejected", "Rejected"),
        ("ERROR", "Error"),
        ("in progress", "In progress"),
        ("completed", "Completed"),
        ("Refused by provider", "Refused by provider"),
    ],
)
def test_normalize_refill_status(sent: str, canonical: str) -> None:
    assert normalize_refill_status(sent) == canonical


@given(st.text())
def test_normalize_status_is_idempotent_and_total(text: str) -> None:
    once = normalize_status(text)
    assert normalize_status(once) == once
    assert normalize_refill_status(normalize_refill_status(text)) == normalize_refill_status(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, 10),
        ("10", 10),
        (" 7 ", 7),
        ("10.0", 10),
        (Decimal("3"), 3),
        (10.0, 10),
        ("-5", -5),
        ("Unknown", None),
        ("", None),
        (None, None),
        (True, None),
        ("1.5", None),
        ("1e999999", None),
        ([], None),
    ],
)
def test_parse_int(value: object, expected: int | None) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        ("157", 157),
        (157.0, 157),
        (-5, None),  # a negative count means nothing (and must not refund a Partial)
        ("-5", None),
        ("Unknown", None),
        (None, None),
        (10**20, MAX_COUNT),  # past any real order: clamped, never an SQLite overflow
        ("100000000000000000000", MAX_COUNT),
        ("1e999999", MAX_COUNT),
        ("1.5", None),
    ],
)
def test_parse_count_is_bounded_and_clamped(value: object, expected: int | None) -> None:
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    "text",
    ["0", "007", "1000", "9" * 18, "9" * 19, "1" * 40, "²", "٣", " 12", "12 ", "1.27819", "-0.5"],
)
def test_the_fast_paths_read_numbers_as_the_lenient_ones_do(text: str) -> None:
    # Plain digits and decimals skip the lenient steps; the answer must be the same.
    decimal = None if text in ("²",) else Decimal(text.strip()) if text.strip() else None
    assert parse_decimal(text) == decimal
    assert str(parse_decimal("1.27819")) == "1.27819"  # exact, never through a float
    if decimal is None or decimal != decimal.to_integral():
        assert parse_count(text) is None
        assert parse_int(text) is None
        return
    assert parse_count(text) == (None if decimal < 0 else min(int(decimal), MAX_COUNT))
    assert parse_int(text) == (int(decimal) if abs(decimal) <= MAX_PANEL_ID else None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("23501", 23501),
        (2**62, 2**62),
        (0, None),
        (-1, None),
        (2**63, None),
        (10**20, None),
    ],
)
def test_panel_ids_fit_the_database(value: object, expected: int | None) -> None:
    assert parse_positive_id(value) == expected
    assert parse_int(10**20) is None  # past 18 digits, numbers are garbage as text was already


@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_parse_int_reads_numbers_and_their_text(number: int) -> None:
    assert parse_int(number) == number
    assert parse_int(str(number)) == number
    assert parse_int(Decimal(number)) == number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (1, True),
        ("1", True),
        ("true", True),
        (" Yes ", True),
        (False, False),
        (0, False),
        ("0", False),
        ("false", False),
        ("no", False),
        ("maybe", None),
        (None, None),
        ([], None),
    ],
)
def test_parse_bool(value: object, expected: bool | None) -> None:
    assert parse_bool(value) is expected


def test_parse_order_status_reads_reference_shape_and_unknown_remains() -> None:
    reference = {
        "charge": "0.27819",
        "start_count": "3572",
        "status": "Partial",
        "remains": "157",
        "currency": "USD",
    }
    assert parse_order_status(reference) == OrderStatus(
        status="Partial",
        charge=Decimal("0.27819"),
        start_count=3572,
        remains=157,
        currency="USD",
    )
    sparse = parse_order_status({"status": "inprogress", "remains": "Unknown", "charge": 0.1})
    assert sparse == OrderStatus(status="In progress", charge=Decimal("0.1"))


@pytest.mark.parametrize("value", [None, [], "Completed", {}, {"status": ""}, {"status": None}])
def test_parse_order_status_rejects_objects_without_status(value: object) -> None:
    with pytest.raises(ValueError):
        parse_order_status(value)


def test_parse_service_reads_mixed_types() -> None:
    service = parse_service(
        {
            "service": "2",
            "name": " Likes ",
            "rate": Decimal("0.12"),
            "min": 10,
            "max": "5000",
            "refill": "0",
            "cancel": 1,
            "dripfeed": "true",
            "category": "Instagram",
        }
    )
    assert service == PanelService(
        service_id=2,
        name="Likes",
        type="Default",
        category="Instagram",
        rate=Decimal("0.12"),
        min_quantity=10,
        max_quantity=5000,
        refill=False,
        cancel=True,
        dripfeed=True,
    )


@pytest.mark.parametrize(
    "entry",
    [
        "not an object",
        {"name": "no id", "rate": "1", "min": 1, "max": 2},
        {"service": "x", "name": "bad id", "rate": "1", "min": 1, "max": 2},
        {"service": 1, "rate": "1", "min": 1, "max": 2},
        {"service": 1, "name": "no rate", "min": 1, "max": 2},
        {"service": 1, "name": "bad rate", "rate": "free", "min": 1, "max": 2},
        {"service": 1, "name": "negative", "rate": "-1", "min": 1, "max": 2},
        {"service": 1, "name": "no max", "rate": "1", "min": 1},
        {"service": 1, "name": "min > max", "rate": "1", "min": 10, "max": 2},
    ],
)
def test_parse_service_rejects_malformed_entries(entry: object) -> None:
    with pytest.raises(ValueError):
        parse_service(entry)


# --- catalog -----------------------------------------------------------------------------------


@pytest.mark.parametrize("numbers_as_strings", [None, True, False])
async def test_services_parse_the_same_whatever_the_number_style(
    panel: FakePanel, client: HttpPanelClient, numbers_as_strings: bool | None
) -> None:
    panel.numbers_as_strings = numbers_as_strings
    services = {service.service_id: service for service in await client.services()}
    assert sorted(services) == sorted(panel.services)
    followers = services[1]
    assert followers.rate == Decimal("0.90")
    assert (followers.min_quantity, followers.max_quantity) == (50, 10000)
    assert followers.refill and followers.cancel and followers.dripfeed
    assert services[7].rate == Decimal("1.27819")  # five decimals, exact
    assert (services[3].type, services[4].type, services[5].type) == (
        "Package",
        "Custom Comments",
        "Poll",
    )
    assert services[6].type == "Subscriptions"
    assert not services[2].refill and not services[2].cancel


async def test_services_skip_malformed_entries_and_log_once(
    panel: FakePanel, client: HttpPanelClient, caplog: pytest.LogCaptureFixture
) -> None:
    panel.raw_services = [
        {"service": 1, "name": "Good", "type": "Default", "category": "A", "rate": "0.5",
         "min": "10", "max": "100", "refill": True, "cancel": "0", "desc": "fast"},
        {"service": "oops", "name": "Bad id", "rate": "1", "min": 1, "max": 2},
        {"service": 2, "name": "No rate", "min": 1, "max": 2},
        "garbage",
        {"service": 1, "name": "Duplicate", "rate": "9", "min": 1, "max": 2},
        {"service": "3", "name": "Also good", "rate": 0.12, "min": 10, "max": 20},
    ]  # fmt: skip
    with caplog.at_level(logging.WARNING, logger=CLIENT_LOGGER):
        services = await client.services()
    assert [service.service_id for service in services] == [1, 3]
    assert services[0].description == "fast" and not services[0].cancel
    assert services[1].rate == Decimal("0.12") and services[1].type == "Default"
    [warning] = client_warnings(caplog)
    assert "skipped 4 malformed entries of 6" in warning.getMessage()


async def test_services_that_are_not_a_list_are_an_unknown_outcome(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("services", 'raw200:{"services": "maintenance"}')
    with pytest.raises(PanelOutcomeUnknownError) as info:
        await client.services()
    assert info.value.action == "services" and info.value.http_status == 200


# --- add ---------------------------------------------------------------------------------------


async def test_add_each_supported_type_and_charge_the_balance(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    orders = [
        NewOrder(service_id=1, link=LINK, quantity=100),
        NewOrder(service_id=1, link=LINK, quantity=100, runs=3, interval=10),
        NewOrder(service_id=3, link="https://t.me/channel"),
        NewOrder(service_id=4, link=LINK, comments="one\ntwo\nthree\nfour\nfive"),
        NewOrder(service_id=5, link="t.me/poll/1", quantity=100, answer_number="2"),
    ]
    ids = [await client.add(order) for order in orders]
    # Mixed mode sends even ids as text and odd ones as numbers; both read as int.
    assert ids == [10001, 10002, 10003, 10004, 10005]
    charges = [panel.orders[order_id].charge for order_id in ids]
    assert charges == [
        Decimal("0.09"),
        Decimal("0.27"),
        Decimal("4.5"),
        Decimal("0.06"),
        Decimal("0.075"),
    ]
    assert panel.calls_of("add")[1] == {
        "service": "1",
        "link": LINK,
        "quantity": "100",
        "runs": "3",
        "interval": "10",
    }
    assert await client.balance() == PanelBalance(Decimal(1000) - sum(charges), "USD")


@pytest.mark.parametrize(
    ("order", "panel_error"),
    [
        (NewOrder(service_id=999, link=LINK, quantity=100), "Incorrect service ID"),
        (NewOrder(service_id=1, link="ftp://example.com", quantity=100), "Bad link"),
        (NewOrder(service_id=1, link=LINK, quantity=10), "Quantity less than minimal 50"),
        (NewOrder(service_id=1, link=LINK, quantity=20000), "Quantity more than maximum 10000"),
    ],
)
async def test_add_refusals_carry_the_panels_text(
    panel: FakePanel, client: HttpPanelClient, order: NewOrder, panel_error: str
) -> None:
    with pytest.raises(PanelRefusedError) as info:
        await client.add(order)
    assert info.value.detail == panel_error
    assert (info.value.action, info.value.http_status) == ("add", 200)
    assert panel.orders == {}


async def test_add_without_funds_is_refused_as_insufficient(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.balance = Decimal("0.01")
    with pytest.raises(PanelRefusedError) as info:
        await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
    assert info.value.is_insufficient_funds
    assert panel.balance == Decimal("0.01") and panel.orders == {}


@pytest.mark.parametrize("kind", ["slow", "drop", "html502", "truncated", "empty"])
async def test_add_with_unknown_outcome_is_reported_and_never_resent(
    panel: FakePanel, client: HttpPanelClient, kind: str
) -> None:
    panel.fail_next("add", kind)
    with pytest.raises(PanelOutcomeUnknownError) as info:
        await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
    assert info.value.action == "add"
    await panel.wait_until(lambda: len(panel.orders) == 1)
    assert panel.count("add") == 1
    assert len(panel.orders) == 1  # the panel did create it: an admin must settle it


@pytest.mark.parametrize(
    "kind",
    ['raw200:{"status": "ok"}', 'raw200:{"order": "pending"}', 'raw200:{"order": 0}', "raw200:[]"],
)
async def test_add_answer_without_order_id_is_an_unknown_outcome(
    panel: FakePanel, client: HttpPanelClient, kind: str
) -> None:
    panel.fail_next("add", kind)
    with pytest.raises(PanelOutcomeUnknownError):
        await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
    assert panel.count("add") == 1


# --- HTTP-level quirks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error_type", "http_status"),
    [
        ("error:Service temporarily disabled", PanelRefusedError, 200),
        ("error500:Service temporarily disabled", PanelRefusedError, 500),
        ("error400:neworder.error.not_enough_funds", PanelRefusedError, 400),
        ("html502", PanelOutcomeUnknownError, 502),
        ("html200", PanelOutcomeUnknownError, 200),
        ("raw403:Forbidden", PanelOutcomeUnknownError, 403),
        ('raw500:{"message": "Internal error"}', PanelOutcomeUnknownError, 500),
        ("truncated", PanelOutcomeUnknownError, 200),
        ("empty", PanelOutcomeUnknownError, 200),
        ("slow", PanelOutcomeUnknownError, None),
        ("drop", PanelOutcomeUnknownError, None),
    ],
)
async def test_failures_are_classified_and_never_retried(
    panel: FakePanel,
    client: HttpPanelClient,
    kind: str,
    error_type: type[UpstreamError],
    http_status: int | None,
) -> None:
    panel.fail_next("balance", kind)
    with pytest.raises(error_type) as info:
        await client.balance()
    assert type(info.value) is error_type
    assert (info.value.action, info.value.http_status) == ("balance", http_status)
    assert panel.count("balance") == 1
    if kind.startswith("error"):
        assert info.value.detail == kind.partition(":")[2]
    assert await client.balance() == PanelBalance(Decimal(1000), "USD")  # next call is fine


async def test_html_error_page_is_summarised_by_its_title(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("status", "html502")
    with pytest.raises(PanelOutcomeUnknownError) as info:
        await client.status(1)
    assert info.value.detail == "HTTP 502 with an HTML page: 502 Bad Gateway"


async def test_wrong_api_key_is_refused_as_bad_key(panel: FakePanel) -> None:
    async with HttpPanelClient(panel.url, "not-the-key") as wrong:
        with pytest.raises(PanelRefusedError) as info:
            await wrong.balance()
    assert info.value.is_bad_key


async def test_requests_are_form_posts_with_a_browser_user_agent(panel: FakePanel) -> None:
    panel.require_browser_user_agent = True
    async with HttpPanelClient(panel.url, panel.api_key) as browser_like:
        assert await browser_like.balance() == PanelBalance(Decimal(1000), "USD")
    assert (panel.last_user_agent or "").startswith("Mozilla/5.0")
    assert panel.calls == [("balance", {})]  # key and action came as form fields


async def test_every_action_has_timeouts_and_services_a_longer_read() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        action = parse_qs(request.content.decode())["action"][0]
        bodies = {"services": [], "balance": {"balance": "1", "currency": "USD"}}
        return httpx.Response(200, json=bodies.get(action, {"status": "Pending", "order": 1}))

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = HttpPanelClient(
            "https://panel.test/api/v2", "secret", http_client=http, timeout=FAST_TIMEOUT
        )
        await client.services()
        await client.balance()
        await client.status(1)
        await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
        await client.aclose()
        assert not http.is_closed  # a shared client belongs to whoever made it
    timeouts = [request.extensions["timeout"] for request in seen]
    assert all(None not in timeout.values() for timeout in timeouts)
    assert timeouts[0]["read"] == pytest.approx(0.3 * SERVICES_READ_TIMEOUT_FACTOR)
    assert [timeout["read"] for timeout in timeouts[1:]] == [0.3, 0.3, 0.3]
    for request in seen:
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert parse_qs(request.content.decode())["key"] == ["secret"]


async def test_own_http_client_is_closed_by_aclose(panel: FakePanel) -> None:
    client = HttpPanelClient(panel.url, panel.api_key)
    await client.balance()
    await client.aclose()
    with pytest.raises(RuntimeError):
        await client.balance()


@pytest.mark.parametrize("url", ["panel.example/api/v2", "ftp://panel.example/api", ""])
def test_constructor_rejects_unusable_urls(url: str) -> None:
    with pytest.raises(ValueError):
        HttpPanelClient(url, "secret")


# --- unreachable and transport errors ----------------------------------------------------------


@pytest.mark.parametrize("connect_retries", [0, 2])
async def test_refused_connection_is_unreachable_after_retries(connect_retries: int) -> None:
    attempts: list[httpx.Request] = []

    async def count_attempt(request: httpx.Request) -> None:
        attempts.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [count_attempt]}) as http:
        client = HttpPanelClient(
            FakePanel.refused_url(),
            "secret",
            http_client=http,
            connect_retries=connect_retries,
            retry_backoff=0.001,
        )
        with pytest.raises(PanelUnreachableError) as info:
            await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
    assert len(attempts) == connect_retries + 1
    assert info.value.action == "add" and info.value.http_status is None
    assert f"{connect_retries + 1} attempts" in info.value.detail


async def test_batch_against_unreachable_panel_gives_transient_errors() -> None:
    async with HttpPanelClient(
        FakePanel.refused_url(), "secret", connect_retries=1, retry_backoff=0.0
    ) as client:
        results = await client.statuses(list(range(1, 151)))
    assert set(results) == set(range(1, 151))
    assert all(isinstance(result, ItemError) and result.transient for result in results.values())


@pytest.mark.parametrize(
    ("failure", "error_type", "attempts"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), PanelUnreachableError, 3),
        (httpx.ConnectError("[Errno 111] Connection refused"), PanelUnreachableError, 3),
        (httpx.ConnectTimeout("timed out"), PanelUnreachableError, 3),
        (httpx.PoolTimeout("no free connection"), PanelUnreachableError, 3),
        (httpx.ReadTimeout("timed out"), PanelOutcomeUnknownError, 1),
        (httpx.WriteTimeout("timed out"), PanelOutcomeUnknownError, 1),
        (httpx.WriteError("broken pipe"), PanelOutcomeUnknownError, 1),
        (httpx.ReadError("connection reset"), PanelOutcomeUnknownError, 1),
        (httpx.RemoteProtocolError("peer closed connection"), PanelOutcomeUnknownError, 1),
    ],
)
async def test_transport_failures_before_and_after_sending(
    failure: httpx.TransportError, error_type: type[UpstreamError], attempts: int
) -> None:
    calls = 0

    def fail(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise failure

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as http:
        client = HttpPanelClient(
            "https://panel.test/api/v2", "secret", http_client=http, retry_backoff=0.0
        )
        with pytest.raises(error_type) as info:
            await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
    assert type(info.value) is error_type
    assert calls == attempts


async def test_connect_failure_then_success_returns_the_answer() -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return httpx.Response(200, json={"order": "777"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(flaky)) as http:
        client = HttpPanelClient(
            "https://panel.test/api/v2", "secret", http_client=http, retry_backoff=0.0
        )
        assert await client.add(NewOrder(service_id=1, link=LINK, quantity=100)) == 777
    assert calls == 3


# --- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize("numbers_as_strings", [True, False])
async def test_status_reads_numbers_and_text_alike(
    panel: FakePanel, client: HttpPanelClient, numbers_as_strings: bool
) -> None:
    panel.numbers_as_strings = numbers_as_strings
    order_id = await client.add(NewOrder(service_id=7, link=LINK, quantity=1000))
    panel.set_status(order_id, "Partial", remains=157, start_count=3572)
    assert await client.status(order_id) == OrderStatus(
        status="Partial",
        charge=Decimal("1.27819"),
        start_count=3572,
        remains=157,
        currency="USD",
    )
    assert panel.calls_of("status") == [{"order": str(order_id)}]


async def test_status_spellings_are_normalised_and_unknown_ones_kept(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    order_id = panel.create_order().order_id
    cases = [
        ("Cancelled", "Canceled"),
        ("CANCELED", "Canceled"),
        ("processing", "Processing"),
        ("inprogress", "In progress"),
        ("In Progress", "In progress"),
        ("pending", "Pending"),
        ("completed", "Completed"),
        ("partial", "Partial"),
        ("Refunded", "Canceled"),
        (" Awaiting ", "Awaiting"),
    ]
    for sent, expected in cases:
        panel.set_status(order_id, sent)
        assert (await client.status(order_id)).status == expected
    panel.status_spelling = {"Canceled": "CANCELLED"}
    panel.set_status(order_id, "Canceled")
    result = await client.status(order_id)
    assert result.status == "Canceled" and result.is_final


async def test_status_with_unknown_remains(panel: FakePanel, client: HttpPanelClient) -> None:
    order_id = panel.create_order().order_id
    panel.set_status(order_id, "In progress", remains="Unknown")
    result = await client.status(order_id)
    assert (result.status, result.remains) == ("In progress", None)


async def test_status_of_unknown_order_is_refused(client: HttpPanelClient) -> None:
    with pytest.raises(PanelRefusedError) as info:
        await client.status(424242)
    assert info.value.detail == "Incorrect order ID"


async def test_status_without_a_status_is_an_unknown_outcome(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("status", 'raw200:{"charge": "1.0"}')
    with pytest.raises(PanelOutcomeUnknownError):
        await client.status(1)


async def test_status_answered_in_the_keyed_form(panel: FakePanel, client: HttpPanelClient) -> None:
    panel.fail_next("status", 'raw200:{"5": {"status": "completed", "remains": "0"}}')
    assert await client.status(5) == OrderStatus(status="Completed", remains=0)


# --- batches -----------------------------------------------------------------------------------


async def test_statuses_of_250_ids_take_three_calls_of_at_most_100(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    known = [panel.create_order().order_id for _ in range(200)]
    unknown = list(range(1, 51))
    panel.set_status(known[0], "Completed")
    results = await client.statuses(known + unknown + known[:30])  # duplicates are asked once
    assert set(results) == set(known) | set(unknown)
    sizes = sorted(len(params["orders"].split(",")) for params in panel.calls_of("status"))
    assert sizes == [50, BATCH_LIMIT, BATCH_LIMIT]
    assert results[known[0]] == OrderStatus(
        status="Completed", charge=Decimal("0.09"), start_count=0, remains=0, currency="USD"
    )
    assert all(isinstance(results[order_id], OrderStatus) for order_id in known)
    assert all(results[order_id] == ItemError("Incorrect order ID") for order_id in unknown)


async def test_statuses_of_one_id_use_the_batch_form(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    order_id = panel.create_order().order_id
    results = await client.statuses([order_id])
    assert isinstance(results[order_id], OrderStatus)
    assert panel.calls_of("status") == [{"orders": str(order_id)}]
    assert await client.statuses([]) == {}
    assert panel.count("status") == 1


@pytest.mark.parametrize("kind", ["html502", "error:Incorrect request", "slow", "truncated"])
async def test_one_failing_chunk_makes_only_its_ids_transient(
    panel: FakePanel, client: HttpPanelClient, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    ids = [panel.create_order().order_id for _ in range(250)]
    panel.fail_next("status", kind)
    with caplog.at_level(logging.WARNING, logger=CLIENT_LOGGER):
        results = await client.statuses(ids)
    assert set(results) == set(ids)
    failed = {order_id for order_id, result in results.items() if isinstance(result, ItemError)}
    chunks = [set(ids[:100]), set(ids[100:200]), set(ids[200:])]
    assert failed in chunks
    assert all(
        isinstance(result, ItemError) and result.transient
        for order_id, result in results.items()
        if order_id in failed
    )
    assert all(isinstance(results[order_id], OrderStatus) for order_id in set(ids) - failed)
    assert len(client_warnings(caplog)) == 1
    assert panel.count("status") == 3  # the failed chunk is not retried


async def test_batches_run_with_bounded_concurrency(panel: FakePanel) -> None:
    panel.latency = 0.05
    async with HttpPanelClient(panel.url, panel.api_key, max_concurrency=2) as client:
        results = await client.statuses(list(range(1, 501)))
    assert len(results) == 500 and panel.count("status") == 5
    assert panel.max_in_flight == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (  # list of objects, an element-level error, an id left out
            '[{"order": 1, "status": "completed", "remains": 0},'
            ' {"order": "2", "error": "Incorrect order ID"}]',
            {
                1: OrderStatus(status="Completed", remains=0),
                2: ItemError("Incorrect order ID"),
                3: ItemError("missing from the panel's answer"),
            },
        ),
        (  # keyed, with a malformed entry: asked again later
            '{"1": {"status": "Pending"}, "2": {"status": ""}, "3": []}',
            {
                1: OrderStatus(status="Pending"),
                2: ItemError("unreadable answer: status object without a status", True),
                3: ItemError("unreadable answer: status is a list, not an object", True),
            },
        ),
    ],
)
async def test_statuses_accept_both_batch_shapes(
    panel: FakePanel,
    client: HttpPanelClient,
    answer: str,
    expected: dict[int, OrderStatus | ItemError],
) -> None:
    panel.fail_next("status", f"raw200:{answer}")
    assert await client.statuses([1, 2, 3]) == expected


async def test_batch_with_single_form_answer_for_one_id(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("status", 'raw200:{"status": "Processing", "charge": "0.5"}')
    assert await client.statuses([9]) == {9: OrderStatus("Processing", charge=Decimal("0.5"))}


@pytest.mark.parametrize("answer", ['["a", "b"]', '{"orders": "x"}', '"ok"', '[{"status": "x"}]'])
async def test_batch_answer_of_the_wrong_shape_is_transient_for_all(
    panel: FakePanel, client: HttpPanelClient, answer: str
) -> None:
    panel.fail_next("status", f"raw200:{answer}")
    results = await client.statuses([1, 2])
    assert all(isinstance(result, ItemError) and result.transient for result in results.values())


# --- refills -----------------------------------------------------------------------------------


async def test_refill_and_its_status(panel: FakePanel, client: HttpPanelClient) -> None:
    order_id = panel.create_order(service_id=1, status="Completed").order_id
    refill_id = await client.refill(order_id)
    assert refill_id in panel.refills
    assert await client.refill_status(refill_id) == "Pending"
    for sent, expected in [
        ("in progress", "In progress"),
        ("completed", "Completed"),
        ("rejected", "Rejected"),
        ("Error", "Error"),
        ("On hold", "On hold"),
    ]:
        panel.set_refill_status(refill_id, sent)
        assert await client.refill_status(refill_id) == expected


async def test_refill_refusals(panel: FakePanel, client: HttpPanelClient) -> None:
    not_refillable = panel.create_order(service_id=2, status="Completed").order_id
    with pytest.raises(PanelRefusedError) as info:
        await client.refill(not_refillable)
    assert info.value.detail == "Refill is disabled for this service"
    with pytest.raises(PanelRefusedError, match="Refill not found"):
        await client.refill_status(999)
    panel.fail_next("refill", 'raw200:{"refill": {"error": "Incorrect order ID"}}')
    with pytest.raises(PanelRefusedError, match="Incorrect order ID"):
        await client.refill(1)


async def test_refill_without_id_is_an_unknown_outcome(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("refill", 'raw200:{"success": true}')
    with pytest.raises(PanelOutcomeUnknownError):
        await client.refill(1)


@pytest.mark.parametrize("numbers_as_strings", [None, True, False])
async def test_refills_and_refill_statuses_in_batch(
    panel: FakePanel, client: HttpPanelClient, numbers_as_strings: bool | None
) -> None:
    panel.numbers_as_strings = numbers_as_strings
    done = [panel.create_order(service_id=1, status="Completed").order_id for _ in range(3)]
    no_refill = panel.create_order(service_id=2, status="Completed").order_id
    results = await client.refills([*done, no_refill, 5])
    refill_ids = [results[order_id] for order_id in done if isinstance(results[order_id], int)]
    assert len(refill_ids) == 3 and len(set(refill_ids)) == 3
    assert results[no_refill] == ItemError("Refill is disabled for this service")
    assert results[5] == ItemError("Incorrect order ID")
    assert panel.calls_of("refill") == [{"orders": ",".join(map(str, [*done, no_refill, 5]))}]

    refill_ids_checked = [refill_id for refill_id in refill_ids if isinstance(refill_id, int)]
    panel.set_refill_status(refill_ids_checked[0], "completed")
    panel.set_refill_status(refill_ids_checked[1], "Rejected")
    statuses = await client.refill_statuses([*refill_ids_checked, 4040])
    assert [statuses[refill_id] for refill_id in refill_ids_checked] == [
        "Completed",
        "Rejected",
        "Pending",
    ]
    assert statuses[4040] == ItemError("Refill not found")


async def test_refills_answered_in_the_keyed_form(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("refill", 'raw200:{"1": {"refill": "77"}, "2": 78, "3": {"error": "nope"}}')
    assert await client.refills([1, 2, 3, 4]) == {
        1: 77,
        2: 78,
        3: ItemError("nope"),
        4: ItemError("missing from the panel's answer"),
    }


# --- cancel ------------------------------------------------------------------------------------


async def test_cancel_in_batch(panel: FakePanel, client: HttpPanelClient) -> None:
    cancellable = await client.add(NewOrder(service_id=1, link=LINK, quantity=1000))
    not_cancellable = panel.create_order(service_id=2).order_id
    finished = panel.create_order(service_id=1, status="Completed").order_id
    results = await client.cancel([cancellable, not_cancellable, finished, 31337, cancellable])
    assert results == {
        cancellable: None,
        not_cancellable: ItemError("Cancel is not available for this service"),
        finished: ItemError("Order can not be canceled"),
        31337: ItemError("Incorrect order ID"),
    }
    assert panel.orders[cancellable].status == "Canceled"
    assert await client.balance() == PanelBalance(Decimal(1000), "USD")  # refunded
    assert (await client.status(cancellable)).status == "Canceled"


async def test_cancel_request_only_recorded(panel: FakePanel, client: HttpPanelClient) -> None:
    panel.cancel_immediately = False
    order_id = panel.create_order(service_id=1).order_id
    assert await client.cancel([order_id]) == {order_id: None}
    assert panel.orders[order_id].cancel_requested
    assert panel.orders[order_id].status == "Pending"


async def test_cancel_not_accepted_and_keyed_answers(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("cancel", 'raw200:[{"order": 1, "cancel": 0}, {"order": 2, "cancel": "ok?"}]')
    results = await client.cancel([1, 2])
    assert results[1] == ItemError("the panel did not accept the cancel request")
    assert isinstance(results[2], ItemError) and results[2].transient
    panel.fail_next("cancel", 'raw200:{"1": 1, "2": {"cancel": "1"}}')
    assert await client.cancel([1, 2]) == {1: None, 2: None}


# --- balance -----------------------------------------------------------------------------------


@pytest.mark.parametrize("numbers_as_strings", [True, False])
async def test_balance_is_exact(
    panel: FakePanel, client: HttpPanelClient, numbers_as_strings: bool
) -> None:
    panel.numbers_as_strings = numbers_as_strings
    panel.balance = Decimal("100.84292")
    assert await client.balance() == PanelBalance(Decimal("100.84292"), "USD")


async def test_balance_without_amount_is_unknown_and_without_currency_empty(
    panel: FakePanel, client: HttpPanelClient
) -> None:
    panel.fail_next("balance", 'raw200:{"currency": "USD"}')
    with pytest.raises(PanelOutcomeUnknownError):
        await client.balance()
    panel.fail_next("balance", 'raw200:{"balance": 12.5}')
    assert await client.balance() == PanelBalance(Decimal("12.5"), "")


# --- the key never leaks -----------------------------------------------------------------------

LEAKY_KEY = "sk-Leak+Key/=9f8e7d6c5b4a"


async def test_api_key_appears_in_no_error_repr_or_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    encoded = quote_plus(LEAKY_KEY)
    texts: list[str] = []
    async with FakePanel(api_key=LEAKY_KEY, slow_seconds=5.0) as panel:
        client = HttpPanelClient(panel.url, LEAKY_KEY, timeout=FAST_TIMEOUT, retry_backoff=0.0)
        texts += [repr(client), str(client)]
        kinds = [
            f"error:Invalid API key {LEAKY_KEY}",
            f"error500:key {encoded} rejected",
            f"html502:<title>Blocked {LEAKY_KEY}</title>",
            f"raw403:denied for {LEAKY_KEY}",
            f'raw200:{{"order": "{LEAKY_KEY}"}}',
            f'raw500:{{"echo": "{encoded}"}}',
            "truncated",
            "empty",
            "slow",
            "drop",
        ]
        for kind in kinds:
            panel.fail_next("add", kind)
            with pytest.raises(UpstreamError) as info:
                await client.add(NewOrder(service_id=1, link=LINK, quantity=100))
            texts += [str(info.value), repr(info.value), info.value.detail]
        panel.fail_next("status", f'raw200:{{"1": {{"error": "no order for {LEAKY_KEY}"}}}}')
        panel.fail_next("refill_status", f'raw200:[{{"refill": 1, "status": ["{LEAKY_KEY}"]}}]')
        texts += [repr(result) for result in (await client.statuses([1])).values()]
        texts += [repr(result) for result in (await client.refill_statuses([1])).values()]
        panel.raw_services = [{"service": LEAKY_KEY, "name": LEAKY_KEY}]
        assert await client.services() == []
        await client.aclose()
    async with HttpPanelClient(
        FakePanel.refused_url(), LEAKY_KEY, connect_retries=1, retry_backoff=0.0
    ) as unreachable:
        with pytest.raises(PanelUnreachableError) as unreachable_info:
            await unreachable.balance()
    texts += [str(unreachable_info.value), repr(unreachable_info.value)]
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    assert len(caplog.records) > len(kinds)  # the failures were logged...
    assert any("***" in text for text in texts)  # ...and the echoes really were redacted
    for text in texts:
        assert LEAKY_KEY not in text
        assert encoded not in text


async def test_repr_shows_the_url_but_not_the_key(panel: FakePanel) -> None:
    async with HttpPanelClient(panel.url, panel.api_key) as client:
        assert repr(client) == f"HttpPanelClient(api_url={panel.url!r})"
        assert panel.api_key not in repr(client)


# --- the fake itself ---------------------------------------------------------------------------


async def test_fake_panel_rejects_batches_over_the_limit(panel: FakePanel) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            panel.url,
            data={
                "key": panel.api_key,
                "action": "status",
                "orders": ",".join(map(str, range(1, 102))),
            },
        )
    assert response.json() == {"error": "Incorrect request"}


async def test_fake_panel_partial_refunds_the_remains(panel: FakePanel) -> None:
    panel.services = {1: FakeService(1, "X", "Default", "A", Decimal("2"), 10, 1000)}
    order = panel.create_order(service_id=1, quantity=1000)
    panel.balance = Decimal(0)
    panel.set_status(order.order_id, "Partial", remains=250)
    assert panel.balance == Decimal("0.5")
    assert panel.advance_all() == 0  # Partial is final
