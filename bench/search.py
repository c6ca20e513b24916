"""Catalog search: how long building the index and answering a query take on a big catalog.

    python bench/search.py [--services 10000] [--queries 2000]

Seeds a fresh SQLite catalog with ``--services`` services (names mixing Latin and Cyrillic
words, accents and brackets, like real panels'), then times the first search (the catalog is
read from the database and normalized once), and ``--queries`` more of one to three words,
as /search and inline mode ask them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bot.services.search import INLINE_LIMIT, CatalogSearch
from storage.catalog import ServiceRecord
from storage.database import Database
from storage.repository import Repository

NETWORKS = [
    "Instagram",
    "Telegram",
    "YouTube",
    "TikTok",
    "Facebook",
    "Twitter",
    "Ютуб",
    "ВКонтакте",
]
KINDS = ["Followers", "Likes", "Views", "Comments", "Подписчики", "Лайки", "Просмотры", "Réactions"]
TRAITS = ["[Refill 30d]", "[Non Drop]", "Fast", "HQ", "Реальные", "Mix", "Premium", "Cheap"]


def catalog(size: int, rng: random.Random) -> list[ServiceRecord]:
    records = []
    for service_id in range(1, size + 1):
        network = rng.choice(NETWORKS)
        name = f"{network} {rng.choice(KINDS)} {rng.choice(TRAITS)} #{service_id}"
        records.append(
            ServiceRecord(
                id=service_id,
                category=f"{network} {rng.choice(KINDS)}",
                name=name,
                type="Default",
                rate=Decimal("0.5"),
                min_quantity=10,
                max_quantity=10_000,
                refill=False,
                cancel=False,
                dripfeed=False,
            )
        )
    return records


async def main(services: int, queries: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        database = await Database.open(Path(folder) / "search.sqlite3")
        try:
            repo = Repository(database)
            await repo.catalog.replace(catalog(services, rng))
            search = CatalogSearch(repo)
            started = time.perf_counter()
            await search.find("instagram likes")
            first = time.perf_counter() - started
            words = [*NETWORKS, *KINDS, "refill", "реальн", "reactions", "insta", "zzz"]
            timings, found = [], []
            for _ in range(queries):
                query = " ".join(rng.sample(words, rng.randint(1, 3)))
                started = time.perf_counter()
                results = await search.find(query, limit=INLINE_LIMIT)
                timings.append(time.perf_counter() - started)
                found.append(len(results))
        finally:
            await database.close()
    timings.sort()
    print(f"services: {services:,}, queries: {queries:,}")
    print(f"first search (read + index): {first * 1000:.1f} ms")
    print(
        f"per query: median {statistics.median(timings) * 1000:.2f} ms,"
        f" p95 {timings[int(len(timings) * 0.95)] * 1000:.2f} ms,"
        f" max {timings[-1] * 1000:.2f} ms; median results {statistics.median(found):.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=2_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.services, arguments.queries))
