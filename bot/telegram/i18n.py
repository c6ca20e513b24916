"""Translations: Fluent (``.ftl``) files under ``locales/<language>/``.

Fluent gives each language its own plural rules (Russian has one/few/many) without a compile
step. Every string argument is HTML-escaped on the way in, because every message is sent with
HTML parse mode and most arguments (links, names, panel texts) come from outside; markup that
is already safe is passed wrapped in :class:`Markup`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_currency
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast

from bot.core.errors import StorefrontError
from bot.core.money import Money, format_amount, format_money

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


class Markup(str):
    """Text that is already safe HTML and must not be escaped again."""

    __slots__ = ()


def _prepare(value: Any) -> Any:
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal):
        return value
    return html.escape(str(value), quote=False)


@dataclass(frozen=True, slots=True)
class Translator:
    """Messages of one language; call it with a message id and named arguments."""

    language: str
    _bundle: FluentBundle
    _fallback: FluentBundle | None
    currency: str = "USD"
    # Where the shop's Mini App opens (None: no web side), for the menus that link to it.
    mini_app_url: str | None = None
    # Whether the referral programme is on (REFERRAL_PERCENT > 0): the menu offers invites.
    invites: bool = False

    def __call__(self, message_id: str, **arguments: Any) -> str:
        prepared = {name: _prepare(value) for name, value in arguments.items()}
        for bundle in (self._bundle, self._fallback):
            if bundle is None or not bundle.has_message(message_id):
                continue
            message = bundle.get_message(message_id)
            if message.value is None:
                continue
            text, errors = bundle.format_pattern(message.value, prepared)
            if errors:
                logger.warning("Translation %s/%s: %s", self.language, message_id, errors)
            return str(text)
        logger.error("Missing translation %r for %r", message_id, self.language)
        return message_id

    def has(self, message_id: str) -> bool:
        return self._bundle.has_message(message_id)

    def template(self, message_id: str) -> str:
        """The message with each ``{ $name }`` left as ``{name}``, for a client that fills
        them in itself (the Mini App). Only for messages without selectors or functions."""
        bundle = self._bundle if self._bundle.has_message(message_id) else self._fallback
        names: set[str] = set()
        if bundle is not None and bundle.has_message(message_id):
            _collect_variables(bundle.get_message(message_id).value, names)
        return self(message_id, **{name: Markup("{" + name + "}") for name in names})

    def error(self, error: StorefrontError, *, plain: bool = False) -> str:
        """The user-facing explanation of a domain error, in this language.

        Amounts are written the way this language writes money; an argument named ``*_id``
        that holds a message id (a refusal reason, say) is translated too. ``plain`` is for
        places Telegram shows as plain text (alerts, a pre-checkout answer): arguments are
        not HTML-escaped there, or a panel's "&" would read "&amp;".
        """
        arguments: dict[str, Any] = {}
        for name, value in error.arguments.items():
            if isinstance(value, Money):
                arguments[name] = self.money(value)
            elif name.endswith("_id") and isinstance(value, str) and self.has(value):
                arguments[name.removesuffix("_id")] = self(value)
            else:
                arguments[name] = value
        if plain:
            arguments = {
                name: Markup(value) if isinstance(value, str) else value
                for name, value in arguments.items()
            }
        return self(error.message_id, **arguments)

    def money(self, amount: Money, currency: str | None = None) -> str:
        """An amount as this language writes it: ``$12.50`` / ``12,50 $``, ``0.0513``…

        The digits follow money's one display rule (at least two decimals, more only when
        they are not zero); the language decides separators and where the symbol goes. The
        currency is the shop's (bound at start-up) unless another one is named.
        """
        currency = currency or self.currency
        value = Decimal(format_amount(amount))
        try:
            return str(
                format_currency(value, currency, locale=self.language, decimal_quantization=False)
            )
        except (ValueError, LookupError):
            return format_money(amount, currency)


class Translations:
    """All shipped languages, loaded once at start-up."""

    def __init__(
        self, default_language: str, locales_dir: Path = LOCALES_DIR, currency: str = "USD"
    ) -> None:
        self.default_language = default_language
        self._bundles: dict[str, FluentBundle] = {}
        self.message_ids: dict[str, set[str]] = {}
        for folder in sorted(path for path in locales_dir.iterdir() if path.is_dir()):
            bundle, ids = _load_bundle(folder.name, folder.glob("*.ftl"))
            self._bundles[folder.name] = bundle
            self.message_ids[folder.name] = ids
        if default_language not in self._bundles:
            raise ValueError(f"no translations for the default language {default_language!r}")
        self.use_currency(currency)

    def use_currency(
        self, currency: str, mini_app_url: str | None = None, *, invites: bool = False
    ) -> None:
        """Bind the shop currency (and the Mini App's address, whether invites are on) into
        every translator, so callers never pass these shop-wide facts around."""
        self.currency = currency
        self._translators = {
            language: Translator(
                language,
                bundle,
                None if language == self.default_language else self._bundles[self.default_language],
                currency,
                mini_app_url,
                invites,
            )
            for language, bundle in self._bundles.items()
        }

    @property
    def languages(self) -> list[str]:
        return list(self._bundles)

    def resolve_language(self, code: str | None) -> str:
        """The shipped language for a Telegram ``language_code`` such as ``ru`` or ``en-US``."""
        if code:
            base = code.split("-")[0].split("_")[0].lower()
            if base in self._bundles:
                return base
        return self.default_language

    def get(self, language: str | None) -> Translator:
        return self._translators.get(language or "", self._translators[self.default_language])

    def all(self) -> list[Translator]:
        return list(self._translators.values())


def _collect_variables(node: Any, names: set[str]) -> None:
    """The names of the variables a compiled Fluent pattern refers to."""
    if type(node).__name__ == "VariableReference":
        names.add(node.id.name)
    elif isinstance(node, list | tuple):
        for item in node:
            _collect_variables(item, names)
    elif hasattr(node, "__dict__"):
        for value in vars(node).values():
            _collect_variables(value, names)


def _load_bundle(language: str, files: Iterable[Path]) -> tuple[FluentBundle, set[str]]:
    bundle = FluentBundle([language], use_isolating=False)
    ids: set[str] = set()
    for path in sorted(files):
        resource = FluentResource(path.read_text(encoding="utf-8"))
        for entry in resource.body:
            if isinstance(entry, ast.Junk):
                raise ValueError(f"{path}: cannot parse {str(entry.content)[:60]!r}")
            if isinstance(entry, ast.Message):
                ids.add(entry.id.name)
        bundle.add_resource(resource)
    return bundle, ids
