"""The leader among workers: waiting for the lock, starting the work once, stepping down."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.runtime.leadership import lead_when_elected
from storage.database import Database, LeaderLock
from storage.engines import postgres
from tests.databases import fresh_postgres

WAIT = 5.0


class ScriptedLock(LeaderLock):
    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers
        self.held = True
        self.tries = 0

    async def try_acquire(self) -> bool:
        self.tries += 1
        if not self.answers:
            return True
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def still_held(self) -> bool:
        return self.held

    async def release(self) -> None:
        self.held = False


async def test_a_follower_keeps_trying_then_starts_the_work_once_and_steps_down_on_loss() -> None:
    lock = ScriptedLock([False, False, True])
    started: list[int] = []
    lost = asyncio.Event()
    stopping = asyncio.Event()

    async def start_work() -> None:
        started.append(lock.tries)

    task = asyncio.create_task(
        lead_when_elected(
            lock, start_work, stopping, on_lost=lost.set, retry_seconds=0.01, check_seconds=0.01
        )
    )
    await asyncio.wait_for(asyncio.shield(_until(lambda: bool(started))), WAIT)
    assert started == [3]  # on the third try, and only once
    lock.held = False  # the lock's connection is gone
    await asyncio.wait_for(lost.wait(), WAIT)
    await asyncio.wait_for(task, WAIT)
    assert started == [3]


async def test_a_leader_whose_work_fails_to_start_steps_down() -> None:
    # Holding the lock without running the work would leave every worker without it.
    lock = ScriptedLock([False, True])
    lost = asyncio.Event()

    async def start_work() -> None:
        raise ConnectionResetError("the database went away while recovering orders")

    task = asyncio.create_task(
        lead_when_elected(lock, start_work, asyncio.Event(), on_lost=lost.set, retry_seconds=0.01)
    )
    await asyncio.wait_for(lost.wait(), WAIT)
    await asyncio.wait_for(task, WAIT)  # ended, without an exception


async def test_a_stop_while_standing_by_ends_without_starting_anything() -> None:
    lock = ScriptedLock([False] * 1000)
    stopping = asyncio.Event()
    task = asyncio.create_task(
        lead_when_elected(lock, _never, stopping, on_lost=_fail, retry_seconds=0.01)
    )
    await _until(lambda: lock.tries >= 2)
    stopping.set()
    await asyncio.wait_for(task, WAIT)


@pytest.mark.postgres
async def test_the_advisory_lock_is_one_holders_and_frees_when_its_connection_drops() -> None:
    async with fresh_postgres() as url:
        database = await Database.open(url)
        first, second = database.leader_lock(), database.leader_lock()
        try:
            assert await first.try_acquire()
            assert not await second.try_acquire()
            assert await first.still_held()
            # The leader's session ends without a word (as when its process is killed).
            await database.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                " AND objid = ? AND granted",
                (0x534D4D03,),
            )
            assert not await first.still_held()
            assert await second.try_acquire()
        finally:
            await first.release()
            await second.release()
            await database.close()


class FreezingProxy:
    """A TCP relay to the database that can stop passing bytes, as a hung server would."""

    def __init__(self, target: str) -> None:
        self._target = urlsplit(target)
        self.frozen = False
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        netloc = self._target.netloc.rsplit("@", 1)
        address = f"127.0.0.1:{port}"
        netloc[-1] = address
        return urlunsplit(self._target._replace(netloc="@".join(netloc)))

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:  # every relayed connection breaks
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = self._target.hostname or "127.0.0.1", self._target.port or 5432
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        self._writers += [writer, upstream_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while (chunk := await source.read(65536)) and not self.frozen:
                sink.write(chunk)
                await sink.drain()

        with contextlib.suppress(Exception):
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.mark.postgres
async def test_a_try_for_the_leader_lock_gives_up_on_a_hung_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server that stopped answering: the try fails within the statement timeout (it used
    # to wait forever, and with it the follower's loop), so the follower goes on trying.
    monkeypatch.setattr(postgres, "STATEMENT_TIMEOUT_SECONDS", 0.3)
    async with fresh_postgres() as url:
        proxy = FreezingProxy(url)
        lock = postgres.AdvisoryLeaderLock(await proxy.__aenter__())
        try:
            assert await lock.try_acquire()  # connected through the relay
            proxy.frozen = True
            attempt = asyncio.ensure_future(lock.try_acquire())
            await asyncio.wait({attempt}, timeout=WAIT)
            assert attempt.done(), "still waiting for a server that will never answer"
            assert isinstance(attempt.exception(), TimeoutError)
        finally:
            await proxy.__aexit__()
            await lock.release()


async def _until(condition: object) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def _never() -> None:
    raise AssertionError("no work may start")


def _fail() -> None:
    raise AssertionError("not a leader: nothing to lose")
