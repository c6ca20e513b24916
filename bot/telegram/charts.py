"""The /stats chart: orders and profit per day, drawn as a PNG for the chat.

matplotlib's object-oriented API (a ``Figure`` on the Agg canvas, no pyplot) keeps no global
state, so drawing in a worker thread is safe; :func:`daily_chart` runs it there, because a
draw takes a few hundred milliseconds of CPU the event loop must not wait on.
"""

from __future__ import annotations

import asyncio
import io

from bot.services.stats import DayFigures
from bot.telegram.i18n import Translator

CHART_DAYS = 30
_ORDERS_COLOUR = "#2481cc"  # Telegram's blue
_PROFIT_COLOUR = "#31b545"
_LOSS_COLOUR = "#e53935"
_GRID_COLOUR = "#e6e9ed"
_TEXT_COLOUR = "#3d4654"


def _draw(titles: tuple[str, str], days: list[DayFigures]) -> bytes:
    # Imported here, in the worker thread: matplotlib takes a while to load, which the bot's
    # start-up need not wait for.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.8), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    orders_axes, profit_axes = figure.subplots(2, 1, sharex=True)
    positions = list(range(len(days)))
    labels = [day.day.strftime("%d.%m") for day in days]
    # Plotting coordinates only: the figures themselves stay exact Money until here.
    profits = [float(day.profit.as_decimal()) for day in days]

    orders_axes.bar(positions, [day.orders for day in days], color=_ORDERS_COLOUR, width=0.7)
    profit_axes.bar(
        positions,
        profits,
        color=[_LOSS_COLOUR if value < 0 else _PROFIT_COLOUR for value in profits],
        width=0.7,
    )
    profit_axes.axhline(0, color=_TEXT_COLOUR, linewidth=0.6)
    for axes, title in zip((orders_axes, profit_axes), titles, strict=True):
        axes.set_title(title, loc="left", fontsize=11, color=_TEXT_COLOUR, fontweight="bold")
        axes.grid(axis="y", color=_GRID_COLOUR, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.tick_params(colors=_TEXT_COLOUR, labelsize=8, length=0)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.spines["bottom"].set_color(_GRID_COLOUR)
    orders_axes.yaxis.get_major_locator().set_params(integer=True)
    step = max(1, len(days) // 10)
    profit_axes.set_xticks(positions[::step], labels[::step])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


async def daily_chart(i18n: Translator, days: list[DayFigures]) -> bytes:
    """The chart of ``days`` as PNG bytes, titled in the admin's language."""
    profit = f"{i18n('webapp-admin-chart-profit')}, {i18n.currency}"
    titles = (i18n("webapp-admin-chart-orders"), profit)
    return await asyncio.to_thread(_draw, titles, days)
