"""The order form as data: which question comes next, given the service and the answers.

The form is a table of steps. Each step asks for one answer (its key in the answers), parses
what the customer typed (raising a ``StorefrontError`` that explains the mistake), names the
prompt that asks for it, and says when it applies to a service. :func:`next_step` walks the
table: the first step that applies and is not answered yet is asked next; when none is left
the confirmation card is due. A new question (a drip-feed option, a mass-order line) is a new
row, not a new handler.

Answers are plain JSON values (kept in the FSM data, so a form survives a restart):
``link`` (str), ``quantity`` (int), ``comments`` (list of str), ``answer_number`` (int),
``dripfeed`` (True once the customer chose drip-feed on the card), ``runs`` and ``interval``
(int, minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.errors import (
    AnswerChangedError,
    DripfeedUnavailableError,
    InvalidCommentsError,
    InvalidQuantityError,
    LimitsChangedError,
    StorefrontError,
)
from bot.services.catalog import Pricing, is_package
from bot.services.ordering import (
    MAX_INTERVAL_MINUTES,
    MAX_RUNS,
    Quote,
    is_telegram_service,
    make_quote,
    normalize_link,
    parse_answer_number,
    parse_comments,
    parse_interval,
    parse_quantity,
    parse_runs,
)
from bot.upstream.types import TYPE_CUSTOM_COMMENTS, TYPE_DEFAULT, TYPE_POLL
from storage.catalog import Service
from storage.orders import Order

Answers = Mapping[str, Any]

LINK = "link"
QUANTITY = "quantity"
COMMENTS = "comments"
ANSWER_NUMBER = "answer_number"
DRIPFEED = "dripfeed"
RUNS = "runs"
INTERVAL = "interval"


def offers_dripfeed(service: Service) -> bool:
    """The panel delivers this service in runs on request (the reference defines drip-feed
    for Default services only)."""
    return service.dripfeed and service.type == TYPE_DEFAULT


def _asks_quantity(service: Service) -> bool:
    # Packages have a fixed size; custom comments count their lines.
    return not is_package(service.type) and service.type != TYPE_CUSTOM_COMMENTS


def _wants_runs(service: Service, answers: Answers) -> bool:
    return offers_dripfeed(service) and answers.get(DRIPFEED) is True


def _wants_interval(service: Service, answers: Answers) -> bool:
    runs = answers.get(RUNS)
    return _wants_runs(service, answers) and isinstance(runs, int) and runs > 1


def _service_name(service: Service, answers: Answers, pricing: Pricing) -> dict[str, Any]:
    return {"service": service.name}


def _quantity_bounds(service: Service, answers: Answers, pricing: Pricing) -> dict[str, Any]:
    return {
        "min": service.min_quantity,
        "max": service.max_quantity,
        "price": pricing.unit_price(service),
    }


def _comment_bounds(service: Service, answers: Answers, pricing: Pricing) -> dict[str, Any]:
    return {"min": service.min_quantity, "max": service.max_quantity}


def _no_arguments(service: Service, answers: Answers, pricing: Pricing) -> dict[str, Any]:
    return {}


def _runs_bounds(service: Service, answers: Answers, pricing: Pricing) -> dict[str, Any]:
    return {"quantity": answers.get(QUANTITY, 0), "maximum": MAX_RUNS}


def _interval_bounds(service: Service, answers: Answers, pricing: Pricing) -> dict[str, Any]:
    return {"runs": answers.get(RUNS, 0), "maximum": MAX_INTERVAL_MINUTES}


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the order form."""

    key: str
    prompt_id: str
    parse: Callable[[str, Service], Any]  # raises StorefrontError on a bad answer
    applies: Callable[[Service, Answers], bool]
    # The prompt's arguments; amounts are Money, for the translator to write.
    prompt_arguments: Callable[[Service, Answers, Pricing], dict[str, Any]] = _no_arguments
    # A line starting with "/" is an answer here (a comment may), not a command.
    free_text: bool = False


STEPS: tuple[Step, ...] = (
    Step(
        LINK,
        "order-ask-link-telegram",
        lambda text, service: normalize_link(text, telegram=True),
        lambda service, answers: is_telegram_service(service),
        _service_name,
    ),
    Step(
        LINK,
        "order-ask-link",
        lambda text, service: normalize_link(text, telegram=False),
        lambda service, answers: not is_telegram_service(service),
        _service_name,
    ),
    Step(
        QUANTITY,
        "order-ask-quantity",
        lambda text, service: parse_quantity(text, service.min_quantity, service.max_quantity),
        lambda service, answers: _asks_quantity(service),
        _quantity_bounds,
    ),
    Step(
        COMMENTS,
        "order-ask-comments",
        lambda text, service: parse_comments(text, service.min_quantity, service.max_quantity),
        lambda service, answers: service.type == TYPE_CUSTOM_COMMENTS,
        _comment_bounds,
        free_text=True,
    ),
    Step(
        ANSWER_NUMBER,
        "order-ask-answer",
        lambda text, service: parse_answer_number(text),
        lambda service, answers: service.type == TYPE_POLL,
    ),
    Step(RUNS, "order-ask-runs", lambda text, service: parse_runs(text), _wants_runs, _runs_bounds),
    Step(
        INTERVAL,
        "order-ask-interval",
        lambda text, service: parse_interval(text),
        _wants_interval,
        _interval_bounds,
    ),
)
ANSWER_KEYS: tuple[str, ...] = (*dict.fromkeys(step.key for step in STEPS), DRIPFEED)


def answers_in(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's answers among whatever else the flow keeps (service id, quote)."""
    return {key: data[key] for key in ANSWER_KEYS if key in data}


def next_step(service: Service, answers: Answers) -> Step | None:
    """The question to ask next, or None when the confirmation card is due."""
    for step in STEPS:
        if step.key not in answers and step.applies(service, answers):
            return step
    return None


def give_answer(step: Step, service: Service, answers: Answers, text: str) -> dict[str, Any]:
    """The answers with this step's answer parsed from ``text``; raises StorefrontError."""
    return {**answers, step.key: step.parse(text, service)}


def choose_dripfeed(answers: Answers) -> dict[str, Any]:
    """The customer asked for drip-feed on the card: (re)ask its runs and interval."""
    kept = {key: value for key, value in answers.items() if key not in (RUNS, INTERVAL)}
    return {**kept, DRIPFEED: True}


def quote(service: Service, pricing: Pricing, answers: Answers) -> Quote:
    """The confirmation card's quote for a complete form (``next_step`` is None)."""
    comments = answers.get(COMMENTS)
    quantity = len(comments) if isinstance(comments, list) else answers.get(QUANTITY)
    wants_runs = _wants_runs(service, answers)
    return make_quote(
        service,
        pricing,
        link=str(answers[LINK]),
        quantity=quantity,
        comments=comments,
        answer_number=answers.get(ANSWER_NUMBER),
        runs=answers.get(RUNS) if wants_runs else None,
        interval=answers.get(INTERVAL) if wants_runs else None,
    )


def answers_of(order: Order) -> dict[str, Any]:
    """What the customer answered for a past order, to order it again."""
    answers: dict[str, Any] = {LINK: order.link}
    comments = order.extras.get("comments")
    if isinstance(comments, list):
        answers[COMMENTS] = [str(line) for line in comments]
    elif order.quantity is not None:
        answers[QUANTITY] = order.quantity
    if order.extras.get("answer_number") is not None:
        answers[ANSWER_NUMBER] = order.extras["answer_number"]
    if order.runs is not None and order.interval is not None:
        answers.update({DRIPFEED: True, RUNS: order.runs, INTERVAL: order.interval})
    return answers


@dataclass(frozen=True, slots=True)
class Recheck:
    """Answers of a past order checked against the service as it is today.

    ``answers`` holds those that still fit. ``step`` is the first one that no longer does,
    re-asked with ``error`` saying why; an ``error`` without a step cannot be fixed by a new
    answer (drip-feed is no longer offered).
    """

    answers: dict[str, Any]
    step: Step | None = None
    error: StorefrontError | None = None


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return str(value)


def _why_changed(error: StorefrontError, value: Any) -> StorefrontError:
    """What to tell a customer whose past answer no longer fits: which limit moved, when it
    is the quantity (or the number of comments)."""
    if isinstance(error, InvalidQuantityError | InvalidCommentsError):
        previous = len(value) if isinstance(value, list) else value
        minimum, maximum = error.arguments["minimum"], error.arguments["maximum"]
        if isinstance(previous, int) and not minimum <= previous <= maximum:
            limit = "minimum" if previous < minimum else "maximum"
            return LimitsChangedError(
                limit=limit, minimum=minimum, maximum=maximum, previous=previous
            )
    return AnswerChangedError()


def recheck(service: Service, previous: Answers) -> Recheck:
    """Run a past order's answers through today's form for the service: its limits may have
    changed, and a step that did not exist then (the service's type changed) is simply asked.
    """
    if previous.get(DRIPFEED) is True and not offers_dripfeed(service):
        return Recheck({}, None, DripfeedUnavailableError())
    answers: dict[str, Any] = {DRIPFEED: True} if previous.get(DRIPFEED) is True else {}
    failed: tuple[Step, StorefrontError] | None = None
    for step in STEPS:
        if step.key not in previous or not step.applies(service, answers):
            continue
        value = previous[step.key]
        try:
            answers[step.key] = step.parse(_as_text(value), service)
        except StorefrontError as error:
            failed = failed or (step, _why_changed(error, value))
    if failed is None:
        return Recheck(answers)
    return Recheck(answers, failed[0], failed[1])


__all__ = [
    "ANSWER_KEYS",
    "STEPS",
    "Recheck",
    "Step",
    "answers_in",
    "answers_of",
    "choose_dripfeed",
    "give_answer",
    "next_step",
    "offers_dripfeed",
    "quote",
    "recheck",
]
