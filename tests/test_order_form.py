"""The order form's table of steps, without Telegram: what is asked, in which order, and why
an answer is refused."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from bot.core.errors import (
    AnswerChangedError,
    DripfeedUnavailableError,
    InvalidAnswerNumberError,
    InvalidCommentsError,
    InvalidIntervalError,
    InvalidLinkError,
    InvalidQuantityError,
    InvalidRunsError,
    LimitsChangedError,
    StorefrontError,
)
from bot.core.money import Money
from bot.services import order_form
from bot.services.catalog import Pricing
from bot.services.order_form import (
    ANSWER_NUMBER,
    COMMENTS,
    DRIPFEED,
    INTERVAL,
    LINK,
    QUANTITY,
    RUNS,
    Step,
    answers_in,
    answers_of,
    choose_dripfeed,
    give_answer,
    next_step,
    recheck,
)
from bot.services.ordering import MAX_INTERVAL_MINUTES, MAX_RUNS
from storage.catalog import Service
from storage.orders import Order

PRICING = Pricing(Decimal("20"))
LINK_TEXT = "https://instagram.com/p/alice"


def service(type_: str = "Default", **overrides: Any) -> Service:
    values: dict[str, Any] = {
        "id": 1,
        "category_id": 1,
        "category": "Instagram",
        "name": "Instagram Followers",
        "type": type_,
        "rate": Decimal("0.90"),
        "min_quantity": 50,
        "max_quantity": 10_000,
        "refill": True,
        "cancel": True,
        "dripfeed": False,
        "description": "",
        "active": True,
    }
    values.update(overrides)
    return Service(**values)


DEFAULT = service()
DRIP = service(dripfeed=True)
PACKAGE = service("Package", name="Telegram Members 1000", category="Telegram", min_quantity=1,
                  max_quantity=1, rate=Decimal("4.5"))  # fmt: skip
COMMENTS_SERVICE = service("Custom Comments", min_quantity=5, max_quantity=500)
POLL = service("Poll", name="Telegram Poll Votes", category="Telegram", min_quantity=100,
               max_quantity=100_000, rate=Decimal("0.75"))  # fmt: skip


def walk(svc: Service, *texts: str, answers: dict[str, Any] | None = None) -> list[str]:
    """Answer the form with ``texts`` in turn; the keys asked, ending with "card"."""
    given: dict[str, Any] = dict(answers or {})
    asked: list[str] = []
    remaining = list(texts)
    while (step := next_step(svc, given)) is not None:
        asked.append(step.key)
        if not remaining:
            return asked
        given = give_answer(step, svc, given, remaining.pop(0))
    assert not remaining, f"answers left over: {remaining}"
    return [*asked, "card"]


def answered(svc: Service, *texts: str, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    given: dict[str, Any] = dict(answers or {})
    for text in texts:
        step = next_step(svc, given)
        assert step is not None, f"nothing asked for {text!r}"
        given = give_answer(step, svc, given, text)
    return given


# --- every service type has its sequence ----------------------------------------------------


@pytest.mark.parametrize(
    ("svc", "texts", "sequence"),
    [
        (DEFAULT, ["https://x.com/a", "1000"], [LINK, QUANTITY, "card"]),
        (PACKAGE, ["t.me/channel"], [LINK, "card"]),
        (COMMENTS_SERVICE, [LINK_TEXT, "a\nb\nc\nd\ne"], [LINK, COMMENTS, "card"]),
        (POLL, ["https://t.me/c/1", "200", "2"], [LINK, QUANTITY, ANSWER_NUMBER, "card"]),
        # A drip-feed service is ordered at once unless drip-feed is chosen on the card.
        (DRIP, ["https://x.com/a", "1000"], [LINK, QUANTITY, "card"]),
    ],
    ids=["default", "package", "comments", "poll", "dripfeed-offered"],
)
def test_each_service_type_asks_its_questions_in_order(
    svc: Service, texts: list[str], sequence: list[str]
) -> None:
    assert walk(svc, *texts) == sequence


def test_choosing_dripfeed_asks_runs_then_interval() -> None:
    plain = answered(DRIP, LINK_TEXT, "1000")
    assert next_step(DRIP, plain) is None
    chosen = choose_dripfeed(plain)
    assert walk(DRIP, "5", "30", answers=chosen) == [RUNS, INTERVAL, "card"]
    complete = answered(DRIP, "5", "30", answers=chosen)
    assert complete == {LINK: LINK_TEXT, QUANTITY: 1000, DRIPFEED: True, RUNS: 5, INTERVAL: 30}


def test_one_run_means_all_at_once_and_skips_the_interval() -> None:
    chosen = choose_dripfeed(answered(DRIP, LINK_TEXT, "1000"))
    assert walk(DRIP, "1", answers=chosen) == [RUNS, "card"]
    q = order_form.quote(DRIP, PRICING, answered(DRIP, "1", answers=chosen))
    assert (q.runs, q.interval, q.price) == (None, None, Money.parse("1.08"))


def test_choosing_dripfeed_again_forgets_the_previous_runs() -> None:
    complete = answered(DRIP, LINK_TEXT, "1000", answers=None)
    complete = answered(DRIP, "5", "30", answers=choose_dripfeed(complete))
    again = choose_dripfeed(complete)
    assert RUNS not in again and INTERVAL not in again
    assert walk(DRIP, "3", "60", answers=again) == [RUNS, INTERVAL, "card"]


@pytest.mark.parametrize("svc", [DEFAULT, PACKAGE, COMMENTS_SERVICE, POLL])
def test_dripfeed_is_never_asked_where_it_is_not_offered(svc: Service) -> None:
    # Chosen by a forged press or kept from before the catalog changed: still not asked.
    texts = {
        "Default": [LINK_TEXT, "1000"],
        "Package": ["t.me/channel"],
        "Custom Comments": [LINK_TEXT, "a\nb\nc\nd\ne"],
        "Poll": ["https://t.me/c/1", "200", "2"],
    }[svc.type]
    given = answered(svc, *texts, answers={DRIPFEED: True})
    assert next_step(svc, given) is None
    assert order_form.quote(svc, PRICING, given).runs is None


def test_a_dripfeed_poll_or_comments_service_is_not_offered_dripfeed() -> None:
    # The reference defines drip-feed for Default services only.
    assert order_form.offers_dripfeed(DRIP)
    assert not order_form.offers_dripfeed(dataclasses.replace(POLL, dripfeed=True))
    assert not order_form.offers_dripfeed(dataclasses.replace(COMMENTS_SERVICE, dripfeed=True))
    assert not order_form.offers_dripfeed(DEFAULT)


# --- prompts --------------------------------------------------------------------------------


def test_telegram_services_ask_for_a_telegram_link() -> None:
    step = next_step(PACKAGE, {})
    assert step is not None
    assert step.prompt_id == "order-ask-link-telegram"
    assert step.prompt_arguments(PACKAGE, {}, PRICING) == {"service": PACKAGE.name}
    assert give_answer(step, PACKAGE, {}, "@alice_channel")[LINK] == "https://t.me/alice_channel"
    other = next_step(DEFAULT, {})
    assert other is not None and other.prompt_id == "order-ask-link"


def test_prompts_carry_their_bounds_and_prices() -> None:
    def prompt(svc: Service, answers: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        step = next_step(svc, answers)
        assert step is not None
        return step.prompt_id, step.prompt_arguments(svc, answers, PRICING)

    assert prompt(DEFAULT, {LINK: LINK_TEXT}) == (
        "order-ask-quantity",
        {"min": 50, "max": 10_000, "price": Money.parse("1.08")},  # 0.90 × 1.2 per 1000
    )
    assert prompt(COMMENTS_SERVICE, {LINK: LINK_TEXT}) == (
        "order-ask-comments",
        {"min": 5, "max": 500},
    )
    assert prompt(POLL, {LINK: LINK_TEXT, QUANTITY: 200}) == ("order-ask-answer", {})
    chosen = {LINK: LINK_TEXT, QUANTITY: 1000, DRIPFEED: True}
    assert prompt(DRIP, chosen) == ("order-ask-runs", {"quantity": 1000, "maximum": MAX_RUNS})
    assert prompt(DRIP, {**chosen, RUNS: 4}) == (
        "order-ask-interval",
        {"runs": 4, "maximum": MAX_INTERVAL_MINUTES},
    )


def test_only_comments_take_lines_starting_with_a_slash() -> None:
    free = {step.key for step in order_form.STEPS if step.free_text}
    assert free == {COMMENTS}
    assert answered(COMMENTS_SERVICE, LINK_TEXT, "/a\n/b\n/c\n/d\n/e")[COMMENTS][0] == "/a"


# --- errors ---------------------------------------------------------------------------------


def refused(svc: Service, answers: dict[str, Any], text: str) -> StorefrontError:
    step = next_step(svc, answers)
    assert step is not None
    with pytest.raises(StorefrontError) as caught:
        give_answer(step, svc, answers, text)
    return caught.value


@pytest.mark.parametrize("text", ["hello", "ftp://x.com", "https://", "https://x .com", ""])
def test_a_bad_link_is_refused_with_the_link_error(text: str) -> None:
    error = refused(DEFAULT, {}, text)
    assert isinstance(error, InvalidLinkError) and error.arguments == {"telegram": False}


@pytest.mark.parametrize("text", ["49", "10001", "0", "-5", "1.5", "ten", "1e3", "9" * 13])
def test_a_quantity_out_of_bounds_names_the_bounds(text: str) -> None:
    error = refused(DEFAULT, {LINK: LINK_TEXT}, text)
    assert isinstance(error, InvalidQuantityError)
    assert error.arguments == {"minimum": 50, "maximum": 10_000}


@pytest.mark.parametrize(("text", "expected"), [("1 000", 1000), ("10,000", 10_000), ("50", 50)])
def test_quantities_are_read_as_people_write_them(text: str, expected: int) -> None:
    assert answered(DEFAULT, LINK_TEXT, text)[QUANTITY] == expected


def test_comments_out_of_bounds_say_how_many_were_sent() -> None:
    error = refused(COMMENTS_SERVICE, {LINK: LINK_TEXT}, "one\ntwo\n\n")
    assert isinstance(error, InvalidCommentsError)
    assert error.arguments == {"minimum": 5, "maximum": 500, "count": 2}


@pytest.mark.parametrize("text", ["0", "101", "first", "-1"])
def test_a_bad_poll_answer_is_refused(text: str) -> None:
    error = refused(POLL, {LINK: LINK_TEXT, QUANTITY: 200}, text)
    assert isinstance(error, InvalidAnswerNumberError)


@pytest.mark.parametrize("text", ["0", str(MAX_RUNS + 1), "two", "2.5", "-3", ""])
def test_bad_runs_are_refused_with_the_bounds(text: str) -> None:
    error = refused(DRIP, {LINK: LINK_TEXT, QUANTITY: 1000, DRIPFEED: True}, text)
    assert isinstance(error, InvalidRunsError) and error.arguments == {"maximum": MAX_RUNS}


@pytest.mark.parametrize("text", ["0", str(MAX_INTERVAL_MINUTES + 1), "1h", "-10", "0.5"])
def test_bad_intervals_are_refused_with_the_bounds(text: str) -> None:
    error = refused(DRIP, {LINK: LINK_TEXT, QUANTITY: 1000, DRIPFEED: True, RUNS: 3}, text)
    assert isinstance(error, InvalidIntervalError)
    assert error.arguments == {"minimum": 1, "maximum": MAX_INTERVAL_MINUTES}


def test_every_error_and_prompt_has_a_translation() -> None:
    from bot.telegram.i18n import Translations

    translations = Translations("en")
    ids = {step.prompt_id for step in order_form.STEPS} | {
        cls.message_id
        for cls in (
            InvalidRunsError,
            InvalidIntervalError,
            DripfeedUnavailableError,
            LimitsChangedError,
            AnswerChangedError,
        )
    }
    for language in translations.languages:
        assert ids <= translations.message_ids[language], language


# --- quotes ---------------------------------------------------------------------------------


def test_the_price_of_a_dripfeed_order_is_quantity_times_runs() -> None:
    given = answered(DRIP, "5", "30", answers=choose_dripfeed(answered(DRIP, LINK_TEXT, "1000")))
    q = order_form.quote(DRIP, PRICING, given)
    assert (q.quantity, q.runs, q.interval) == (1000, 5, 30)
    assert q.price == Money.parse("5.40")  # 0.90 × 1.2 × 1000/1000 × 5, exact
    assert q.new_order(DRIP.id).to_params() == {
        "service": "1",
        "link": LINK_TEXT,
        "quantity": "1000",
        "runs": "5",
        "interval": "30",
    }


def test_quotes_of_each_type() -> None:
    package = order_form.quote(PACKAGE, PRICING, answered(PACKAGE, "t.me/channel"))
    assert (package.quantity, package.price) == (None, Money.parse("5.40"))
    lines = ["a", "b", "c", "d", "e", "f"]
    comments = order_form.quote(
        COMMENTS_SERVICE, PRICING, answered(COMMENTS_SERVICE, LINK_TEXT, "\n".join(lines))
    )
    assert (comments.quantity, comments.extras) == (6, {"comments": lines})
    poll = order_form.quote(POLL, PRICING, answered(POLL, LINK_TEXT, "200", "2"))
    assert (poll.quantity, poll.extras, poll.price) == (
        200,
        {"answer_number": 2},
        Money.parse("0.18"),
    )


def test_answers_are_picked_out_of_the_flow_data() -> None:
    data = {"service_id": 1, "quote": {"token": "x"}, LINK: LINK_TEXT, QUANTITY: 5, RUNS: 2}
    assert answers_in(data) == {LINK: LINK_TEXT, QUANTITY: 5, RUNS: 2}


# --- order again ----------------------------------------------------------------------------


def order(**overrides: Any) -> Order:
    values: dict[str, Any] = {
        "id": 7,
        "user_id": 1,
        "upstream_id": 70,
        "service_id": 1,
        "service_name": "Instagram Followers",
        "service_type": "Default",
        "category": "Instagram",
        "rate": Decimal("0.90"),
        "refill_allowed": True,
        "cancel_allowed": True,
        "link": LINK_TEXT,
        "quantity": 1000,
        "extras": {},
        "price": Money.parse("1.08"),
        "panel_charge": None,
        "currency": None,
        "status": "Completed",
        "remains": 0,
        "start_count": 0,
        "error": None,
        "created_at": "2026-01-01 00:00:00",
        "updated_at": "2026-01-01 00:00:00",
    }
    values.update(overrides)
    return Order(**values)


@pytest.mark.parametrize(
    ("past", "svc", "expected"),
    [
        (order(), DEFAULT, {LINK: LINK_TEXT, QUANTITY: 1000}),
        (order(service_type="Package", quantity=None, link="https://t.me/c"), PACKAGE,
         {LINK: "https://t.me/c"}),
        (order(service_type="Custom Comments", quantity=5, extras={"comments": list("abcde")}),
         COMMENTS_SERVICE, {LINK: LINK_TEXT, COMMENTS: list("abcde")}),
        (order(service_type="Poll", quantity=200, extras={"answer_number": 3}), POLL,
         {LINK: LINK_TEXT, QUANTITY: 200, ANSWER_NUMBER: 3}),
        (order(runs=4, interval=15), DRIP,
         {LINK: LINK_TEXT, QUANTITY: 1000, DRIPFEED: True, RUNS: 4, INTERVAL: 15}),
    ],
    ids=["default", "package", "comments", "poll", "dripfeed"],
)  # fmt: skip
def test_a_past_order_fills_the_whole_form_again(
    past: Order, svc: Service, expected: dict[str, Any]
) -> None:
    previous = answers_of(past)
    assert previous == expected
    checked = recheck(svc, previous)
    assert (checked.answers, checked.step, checked.error) == (expected, None, None)
    assert next_step(svc, checked.answers) is None  # straight to the card
    again = order_form.quote(svc, PRICING, checked.answers)
    assert (again.quantity, again.runs, again.interval) == (
        past.quantity,
        past.runs,
        past.interval,
    )


def test_order_again_at_todays_price() -> None:
    dearer = dataclasses.replace(DEFAULT, rate=Decimal("1.80"))
    again = order_form.quote(dearer, PRICING, recheck(dearer, answers_of(order())).answers)
    assert again.price == Money.parse("2.16")


def test_order_again_when_the_limits_changed_reasks_the_step_saying_which_limit() -> None:
    stricter = dataclasses.replace(DEFAULT, min_quantity=2000)
    checked = recheck(stricter, answers_of(order()))
    step = checked.step
    assert step is not None and step.key == QUANTITY
    assert isinstance(checked.error, LimitsChangedError)
    assert checked.error.arguments == {
        "limit": "minimum",
        "minimum": 2000,
        "maximum": 10_000,
        "previous": 1000,
    }
    assert checked.answers == {LINK: LINK_TEXT}
    assert next_step(stricter, checked.answers) is step
    # The rest of the form is kept: only the quantity is asked again.
    poll = dataclasses.replace(POLL, max_quantity=150)
    past = order(service_type="Poll", quantity=200, extras={"answer_number": 3})
    checked = recheck(poll, answers_of(past))
    assert checked.step is not None and checked.step.key == QUANTITY
    assert checked.error is not None and checked.error.arguments["limit"] == "maximum"
    assert checked.answers == {LINK: LINK_TEXT, ANSWER_NUMBER: 3}
    assert walk(poll, "150", answers=checked.answers) == [QUANTITY, "card"]


def test_order_again_with_fewer_comments_allowed_reasks_the_comments() -> None:
    past = order(service_type="Custom Comments", quantity=5, extras={"comments": list("abcde")})
    checked = recheck(dataclasses.replace(COMMENTS_SERVICE, max_quantity=3), answers_of(past))
    assert checked.step is not None and checked.step.key == COMMENTS
    assert isinstance(checked.error, LimitsChangedError)
    assert checked.error.arguments == {
        "limit": "maximum",
        "minimum": 5,
        "maximum": 3,
        "previous": 5,
    }


def test_order_again_with_an_answer_that_no_longer_parses_says_an_answer_is_needed() -> None:
    # Any past answer but a quantity that today's parser refuses (a link stored before the
    # link rule got stricter, say).
    checked = recheck(DEFAULT, answers_of(order(link="https://instagram.com/p/x?a=1 b")))
    assert checked.step is not None and checked.step.key == LINK
    assert isinstance(checked.error, AnswerChangedError)
    assert checked.answers == {QUANTITY: 1000}


def test_order_again_of_a_dripfeed_order_when_the_service_dropped_it() -> None:
    checked = recheck(DEFAULT, answers_of(order(runs=4, interval=15)))
    assert checked.step is None and isinstance(checked.error, DripfeedUnavailableError)


def test_order_again_when_the_type_changed_asks_what_is_missing() -> None:
    # A Default service turned Poll: the link and quantity still fit, the answer is asked.
    as_poll = dataclasses.replace(POLL, min_quantity=50)
    checked = recheck(as_poll, answers_of(order()))
    assert (checked.step, checked.error) == (None, None)
    step = next_step(as_poll, checked.answers)
    assert isinstance(step, Step) and step.key == ANSWER_NUMBER
