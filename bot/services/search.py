"""Finding services by words, in any language, from the catalog held in memory.

Text is compared in a normalized form on both sides: casefolded, decomposed (NFKD) and
stripped of combining marks, so "Ютуб", "ютуб", "YouTube" and "youtube" match as their
spelling allows, and "é" matches "e". A service matches when EVERY word of the query is found
in its name or its category (as a whole word, a word's beginning, or anywhere inside).

Score, best first: each query word adds 8 if it is a whole word of the name, 5 if a name word
starts with it, 3 if it is inside the name, else 2 / 1 / 1 for the same in the category; ties
go to the shorter name, then to catalog order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from storage.catalog import Service
from storage.repository import Repository

PAGE_SIZE = 8
INLINE_LIMIT = 50  # Telegram's own limit for one answer
# The query rides in the page buttons' callback data (64 bytes in all): what does not fit is
# dropped, at a word boundary, before searching, so every page answers the same query.
MAX_QUERY_BYTES = 40
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Casefolded, without accents: the form both the query and the catalog are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def search_query(text: str) -> str:
    """The normalized words of what the user typed, clipped to fit a button."""
    kept: list[str] = []
    size = 0
    for word in words(text):
        extra = len(word.encode()) + (1 if kept else 0)
        if size + extra > MAX_QUERY_BYTES:
            if not kept:  # one very long word: keep its beginning
                kept.append(word.encode()[:MAX_QUERY_BYTES].decode(errors="ignore"))
            break
        kept.append(word)
        size += extra
    return " ".join(kept)


@dataclass(frozen=True, slots=True)
class _Entry:
    position: int
    service: Service
    name: str
    name_words: tuple[str, ...]
    category: str
    category_words: tuple[str, ...]
    haystack: str  # name and category: one substring test rules most entries out


def _entry(position: int, service: Service) -> _Entry:
    name, category = normalize(service.name), normalize(service.category)
    return _Entry(
        position,
        service,
        name,
        tuple(_WORD.findall(name)),
        category,
        tuple(_WORD.findall(category)),
        f"{name}\n{category}",
    )


def _word_score(word: str, entry: _Entry) -> int:
    if word in entry.name_words:
        return 8
    if any(candidate.startswith(word) for candidate in entry.name_words):
        return 5
    if word in entry.name:
        return 3
    if word in entry.category_words:
        return 2
    if word in entry.category:  # a category word's beginning is inside it too
        return 1
    return 0


def score(query_words: list[str], entry: _Entry) -> int:
    """The entry's score for the query, 0 when some word is missing."""
    total = 0
    for word in query_words:
        if word not in entry.haystack:
            return 0
        points = _word_score(word, entry)
        if points == 0:
            return 0
        total += points
    return total


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    items: list[Service]
    total: int
    page: int
    pages: int


class CatalogSearch:
    """Searches the offered services; the index is rebuilt only when the catalog changes."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self._source: tuple[Service, ...] | None = None
        self._index: list[_Entry] = []

    async def _entries(self) -> list[_Entry]:
        services = await self._repo.catalog.offered_services()
        if services is not self._source:
            self._index = [_entry(position, service) for position, service in enumerate(services)]
            self._source = services
        return self._index

    async def find(self, query: str, *, limit: int | None = None) -> list[Service]:
        """Matching services, best first (every offered service, in order, for no words)."""
        entries = await self._entries()
        query_words = words(query)
        if not query_words:
            chosen = [entry.service for entry in entries]
            return chosen[:limit] if limit is not None else chosen
        scored = [(points, entry) for entry in entries if (points := score(query_words, entry)) > 0]
        scored.sort(key=lambda item: (-item[0], len(item[1].name), item[1].position))
        found = [entry.service for _, entry in scored]
        return found[:limit] if limit is not None else found

    async def page(self, text: str, page: int, size: int = PAGE_SIZE) -> SearchPage:
        """One page of results for what the user typed (clipped as :func:`search_query`)."""
        query = search_query(text)
        found = await self.find(query) if query else []
        pages = max(1, -(-len(found) // size))
        page = min(max(page, 0), pages - 1)
        return SearchPage(query, found[page * size : (page + 1) * size], len(found), page, pages)
