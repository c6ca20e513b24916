"""The send budget: answers first, background senders fill the rest, one slot short."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram.pacing import Priority, SendBudget, current_priority, sending_as

WINDOW = 0.05  # short, so the tests wait little; the order of events is what is checked


async def send(budget: SendBudget, priority: Priority, log: list[str], name: str) -> None:
    await budget.acquire(priority)
    log.append(name)
    if priority is not Priority.ANSWER:  # answers alone may pass the limit, nothing else
        assert budget.in_window <= budget.per_second
    await asyncio.sleep(0)  # the request
    budget.release(priority)


async def test_answers_go_first_and_background_sends_fill_what_they_leave() -> None:
    budget = SendBudget(3, reserve=1, window=WINDOW)
    log: list[str] = []
    await send(budget, Priority.ANSWER, log, "earlier answer")  # someone is using the bot
    await asyncio.sleep(WINDOW)  # and that answer has aged out of the window
    log.clear()
    await budget.acquire(Priority.BROADCAST)
    await budget.acquire(Priority.NOTIFICATION)
    assert budget.in_window == 2  # background is full: one short of the limit

    waiting = [
        asyncio.create_task(send(budget, Priority.BROADCAST, log, "broadcast")),
        asyncio.create_task(send(budget, Priority.NOTIFICATION, log, "notification")),
    ]
    await asyncio.sleep(0)
    await send(budget, Priority.ANSWER, log, "first answer")  # the reserved slot: no wait
    assert log == ["first answer"]
    second = asyncio.create_task(send(budget, Priority.ANSWER, log, "second answer"))
    budget.release(Priority.BROADCAST)
    budget.release(Priority.NOTIFICATION)
    await asyncio.gather(second, *waiting)
    # The window was full with background sends in it: the second answer waited for one to
    # age out, yet went before the others, and the notification before the broadcast.
    assert log == ["first answer", "second answer", "notification", "broadcast"]


async def test_answers_filling_the_window_are_never_held_back() -> None:
    budget = SendBudget(3, window=WINDOW)
    await budget.acquire(Priority.NOTIFICATION)
    for _ in range(10):
        # Past the first two, answers fill the window themselves: waiting would only slow
        # a busy bot (one notification in the window must not cap its answers).
        async with asyncio.timeout(WINDOW / 4):
            await budget.acquire(Priority.ANSWER)
    assert budget.in_window == 11
    waiting = asyncio.create_task(budget.acquire(Priority.BROADCAST))
    await asyncio.sleep(WINDOW / 2)
    assert not waiting.done()  # background sends wait for the answers to age out
    for _ in range(10):
        budget.release(Priority.ANSWER)
    budget.release(Priority.NOTIFICATION)
    await waiting


async def test_many_senders_never_exceed_the_window_and_answers_overtake() -> None:
    budget = SendBudget(5, reserve=1, window=WINDOW)
    log: list[str] = []
    priorities = [Priority.BROADCAST] * 30 + [Priority.ANSWER] * 10
    # Each grant checks the window. The broadcast asked first, but its sends are spread over
    # the window: every answer goes before its second copy.
    await asyncio.gather(*(send(budget, priority, log, priority.name) for priority in priorities))
    assert log == ["BROADCAST"] + ["ANSWER"] * 10 + ["BROADCAST"] * 29


async def test_an_answer_behind_sends_in_flight_waits_one_window_at_most() -> None:
    budget = SendBudget(3, window=WINDOW)
    for _ in range(3):
        await budget.acquire(Priority.NOTIFICATION)  # in flight for good: nothing ages out
    # Without the bound it would wait for ever (nothing ages out); with it, one window.
    async with asyncio.timeout(5):
        await budget.acquire(Priority.ANSWER)
    assert budget.in_window == 4


async def test_the_reserve_is_kept_only_while_people_use_the_bot() -> None:
    budget = SendBudget(3, reserve=1, reserve_seconds=60, window=WINDOW)
    for _ in range(3):
        await budget.acquire(Priority.BROADCAST)
    assert budget.in_window == 3  # nobody used the bot: the broadcast takes the whole window
    for _ in range(3):
        budget.release(Priority.BROADCAST)
    await send(budget, Priority.ANSWER, [], "answer")
    await asyncio.sleep(WINDOW)
    assert budget.in_window == 0
    for _ in range(2):
        await budget.acquire(Priority.BROADCAST)
    third = asyncio.create_task(budget.acquire(Priority.BROADCAST))
    await asyncio.sleep(2 * WINDOW)
    assert not third.done()  # one slot stays free for the next answer
    budget.release(Priority.BROADCAST)
    await third  # once that send aged out of the window: two in flight again
    assert budget.in_window == 2


async def test_retry_after_holds_background_senders_only() -> None:
    budget = SendBudget(30, window=WINDOW)
    budget.hold(60)
    log: list[str] = []
    held = asyncio.create_task(send(budget, Priority.BROADCAST, log, "broadcast"))
    await send(budget, Priority.ANSWER, log, "answer")
    await asyncio.sleep(WINDOW)
    assert log == ["answer"] and not held.done()
    held.cancel()
    with pytest.raises(asyncio.CancelledError):
        await held
    assert budget.in_window == 0  # the answer aged out; the cancelled waiter took no slot


async def test_priority_is_the_calling_tasks() -> None:
    assert current_priority() is Priority.NOTIFICATION  # background work by default
    with sending_as(Priority.ANSWER):
        assert current_priority() is Priority.ANSWER

        async def started_here() -> Priority:
            with sending_as(Priority.BROADCAST):
                return current_priority()

        assert await asyncio.create_task(started_here()) is Priority.BROADCAST
        assert current_priority() is Priority.ANSWER
    assert current_priority() is Priority.NOTIFICATION
