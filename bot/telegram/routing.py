"""Feature routers that every Dispatcher builds afresh.

aiogram lets a Router belong to one parent only, so a Router made once at import cannot serve
a second Dispatcher in the same process (the end-to-end tests build one per restart). A
:class:`RouterTemplate` takes the same decorators as a Router (``@router.message(...)``,
stacked as usual) and only records them; :meth:`RouterTemplate.create` registers them, in
order, on a new Router each time it is called.

Plain (not async) filters, such as magic filters (``F.text``) and states (``OrderFlow.link``),
are registered to run on the event loop. aiogram would run each in a worker thread
(``asyncio.to_thread``): /start alone passed seven of them on its way to its handler, and the
trips to the thread and back cost more than the rest of the dispatching. Ours are pure and
quick; a filter that blocks must be an async :class:`~aiogram.filters.Filter` anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.handler import CallbackType, FilterObject
from aiogram.filters import Filter

Handler = TypeVar("Handler", bound=Callable[..., Any])


class InlineFilter(Filter):
    """A plain filter called on the event loop, with the arguments aiogram would give it."""

    def __init__(self, check: FilterObject) -> None:
        # aiogram's own reading of the filter: a magic filter's resolve, the names it takes.
        self._check = check

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        check = self._check
        if not check.varkw:
            kwargs = {name: value for name, value in kwargs.items() if name in check.params}
        return check.callback(*args, **kwargs)


def on_the_loop(check: CallbackType) -> CallbackType:
    """``check`` itself if aiogram awaits it, else the same check run without a thread."""
    reading = FilterObject(check)
    return check if reading.awaitable else InlineFilter(reading)


class RouterTemplate:
    """The handlers of one feature, recorded with aiogram's decorator syntax."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._registrations: list[
            tuple[str, Callable[..., Any], tuple[CallbackType, ...], dict[str, Any] | None]
        ] = []

    def on(
        self, event: str, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        """Record a handler for ``event`` (an aiogram observer name such as ``message``)."""

        def record(callback: Handler) -> Handler:
            self._registrations.append((event, callback, filters, flags))
            return callback

        return record

    def message(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        return self.on("message", *filters, flags=flags)

    def callback_query(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        return self.on("callback_query", *filters, flags=flags)

    def pre_checkout_query(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        return self.on("pre_checkout_query", *filters, flags=flags)

    def inline_query(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        return self.on("inline_query", *filters, flags=flags)

    def chosen_inline_result(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        return self.on("chosen_inline_result", *filters, flags=flags)

    def errors(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[Handler], Handler]:
        return self.on("error", *filters, flags=flags)

    def create(self) -> Router:
        """A new Router with every recorded handler, in the order they were recorded."""
        router = Router(name=self.name)
        for event, callback, filters, flags in self._registrations:
            checks = [on_the_loop(check) for check in filters]
            router.observers[event].register(callback, *checks, flags=flags)
        return router
