"""Translations: every shipped language has the same messages, each parses, formats with the
arguments the code passes, uses only Telegram's HTML, and covers every message id the code uses.

A message id missing in one language falls back to the default language at run time (and is
only logged), so these checks are what keeps a half-translated bot from shipping.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor

from bot.telegram.i18n import LOCALES_DIR, Translations, _prepare

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("bot", "handlers")
DEFAULT_LANGUAGE = "en"
LANGUAGES = sorted(folder.name for folder in LOCALES_DIR.iterdir() if folder.is_dir())
FTL_FILES = sorted(LOCALES_DIR.glob("*/*.ftl"))

ID_PATTERN = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")
# Straight in a translator call, one-word ids ("help", "welcome") count too.
CALL_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
TRANSLATOR_NAMES = frozenset({"i18n", "translator", "t", "_"})
# Message ids built with an f-string in the code, and every value the variable part can take.
# Alert kinds are also read from the code (PlacementAlert(order, "<kind>", ...)) below.
ALERT_KINDS = ("unknown", "supplier_funds", "supplier_setup", "missing")
FSTRING_FAMILIES = ("admin-alert-",)

# Arguments the code passes as numbers; everything else arrives as an (escaped) string.
INT_ARGUMENTS = frozenset(
    {
        "count",
        "min",
        "max",
        "minimum",
        "maximum",
        "quantity",
        "id",
        "page",
        "pages",
        "order_id",
        "user_id",
        "service_id",
    }
)
SAMPLE_INTS = (0, 1, 2, 5, 21, 1234567)
TELEGRAM_TAGS = frozenset({"b", "i", "code", "a"})
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Russian messages that are legitimately free of words: symbols, numbers, arguments only.
NO_WORDS = frozenset(
    {
        "button-previous",
        "button-next",
        "page-indicator",
        "service-button",
        "ledger-line",
        "orders-button",
        "word-unknown",
        "search-result-button",
        "mass-line-bad",
    }
)


# --- Fluent sources --------------------------------------------------------------------------


def _parse(path: Path) -> fluent_ast.Resource:
    return FluentParser().parse(path.read_text(encoding="utf-8"))


def _messages(language: str) -> dict[str, fluent_ast.Message]:
    messages: dict[str, fluent_ast.Message] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        for entry in _parse(path).body:
            if isinstance(entry, fluent_ast.Message):
                messages[entry.id.name] = entry
    return messages


MESSAGES = {language: _messages(language) for language in LANGUAGES}
IDS = {language: set(messages) for language, messages in MESSAGES.items()}
ALL_IDS = set().union(*IDS.values())


def _bundle(language: str) -> FluentBundle:
    """Like the bot's bundle, but tolerant of Junk so that one broken entry fails one test."""
    bundle = FluentBundle([language], use_isolating=False)
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


BUNDLES = {language: _bundle(language) for language in LANGUAGES}


class _PatternFacts(Visitor):  # type: ignore[misc]
    """Variables, selector variants and literal text of one message."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.selectors: dict[str, set[str]] = defaultdict(set)
        self.text: list[str] = []

    def visit_VariableReference(self, node: fluent_ast.VariableReference) -> None:
        self.variables.add(node.id.name)

    def visit_SelectExpression(self, node: fluent_ast.SelectExpression) -> None:
        if isinstance(node.selector, fluent_ast.VariableReference):
            keys = self.selectors[node.selector.id.name]
            for variant in node.variants:
                key = variant.key
                keys.add(key.name if isinstance(key, fluent_ast.Identifier) else key.value)
        self.generic_visit(node)

    def visit_TextElement(self, node: fluent_ast.TextElement) -> None:
        self.text.append(node.value)


def _facts(message: fluent_ast.Message) -> _PatternFacts:
    facts = _PatternFacts()
    facts.visit(message)
    return facts


def _is_plural(name: str, keys: set[str]) -> bool:
    categories = {"zero", "one", "two", "few", "many"}
    return name in INT_ARGUMENTS or bool(keys & categories)


def _argument_sets(message_id: str) -> Iterator[dict[str, Any]]:
    """Plausible arguments for a message: each variant of each selector, ints for numbers."""
    variables: set[str] = set()
    selectors: dict[str, set[str]] = defaultdict(set)
    for language in LANGUAGES:
        if message_id in MESSAGES[language]:
            facts = _facts(MESSAGES[language][message_id])
            # The default language's variables are what the code passes.
            if language == DEFAULT_LANGUAGE or message_id not in MESSAGES[DEFAULT_LANGUAGE]:
                variables |= facts.variables
            for name, keys in facts.selectors.items():
                selectors[name] |= keys
    choices: dict[str, list[Any]] = {}
    for name in sorted(variables):
        if name in INT_ARGUMENTS:
            choices[name] = list(SAMPLE_INTS) if name in selectors else [SAMPLE_INTS[-1]]
        elif name in selectors:
            choices[name] = [*sorted(selectors[name]), "unexpected", True, False]
        else:
            choices[name] = [f"sample {name} <&>"]
    names = list(choices)
    for values in itertools.product(*(choices[name] for name in names)):
        yield {name: _prepare(value) for name, value in zip(names, values, strict=True)}


def _format(language: str, message_id: str, arguments: dict[str, Any]) -> tuple[str, list[Any]]:
    bundle = BUNDLES[language]
    message = bundle.get_message(message_id)
    assert message.value is not None, f"{language}/{message_id} has no value"
    text, errors = bundle.format_pattern(message.value, arguments)
    return str(text), list(errors)


def _tags(text: str) -> list[tuple[bool, str]]:
    return [(closing == "/", name.lower()) for closing, name in TAG.findall(text)]


# --- Parsing and the same ids everywhere -----------------------------------------------------


def test_english_and_russian_are_shipped() -> None:
    assert {"en", "ru"} <= set(LANGUAGES)
    assert DEFAULT_LANGUAGE in LANGUAGES
    assert all(list((LOCALES_DIR / language).glob("*.ftl")) for language in LANGUAGES)


@pytest.mark.parametrize("path", FTL_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_file_parses_without_junk(path: Path) -> None:
    junk = [entry for entry in _parse(path).body if isinstance(entry, fluent_ast.Junk)]
    details = [
        f"{annotation.message}: {entry.content.strip()[:80]!r}"
        for entry in junk
        for annotation in entry.annotations
    ]
    assert not junk, f"{path} has unparsable entries:\n" + "\n".join(details)


def test_translations_load() -> None:
    translations = Translations(DEFAULT_LANGUAGE)
    assert sorted(translations.languages) == LANGUAGES
    assert translations.message_ids == IDS


def test_every_language_has_the_same_message_ids() -> None:
    missing = {language: sorted(ALL_IDS - ids) for language, ids in IDS.items() if ALL_IDS - ids}
    assert not missing, "message ids missing per language (others have them): " + "; ".join(
        f"{language}: {', '.join(ids)}" for language, ids in missing.items()
    )


def test_every_message_has_a_value() -> None:
    without = [
        f"{language}/{message_id}"
        for language, messages in MESSAGES.items()
        for message_id, message in messages.items()
        if message.value is None
    ]
    assert not without, f"messages with attributes only (the bot shows their id): {without}"


# --- Message ids the code uses ---------------------------------------------------------------


@dataclass
class CodeUse:
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fstring_prefixes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    alert_kinds: set[str] = field(default_factory=set)


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child


def _assigned_values(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Every expression assigned to a name (assignments, class attributes, loop targets)."""
    values: dict[str, list[ast.AST]] = defaultdict(list)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.For | ast.comprehension):
            pairs = [(node.target, node.iter)]
        else:
            continue
        for target, value in pairs:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    values[name.id].append(value)
    return values


def scan_source(source: str, filename: str, known_ids: set[str], use: CodeUse) -> None:
    """Record the message ids that ``source`` passes to a translator.

    A string literal that looks like a message id (``word-word``) counts when it is
    - anywhere in the first argument of a call to ``i18n``/``translator``/``t``/``_``
      (there one-word ids such as ``"help"`` count too);
    - assigned to a variable that reaches such an argument (``prompt = "a" if x else "b"``,
      ``message_id = "order-link-invalid"``, ``for name, description_id in BOT_COMMANDS``),
      following names through their assignments;
    - in the same literal dict/list/tuple as a known message id (``_STATUS_IDS``);
    - or simply a message id of some language.
    f-strings in a translator call are recorded by their constant prefix.
    """
    tree = ast.parse(source, filename)

    def add(literal: ast.Constant, pattern: re.Pattern[str] = ID_PATTERN) -> None:
        if pattern.match(literal.value):
            use.ids[literal.value].add(f"{filename}:{literal.lineno}")

    assigned = _assigned_values(tree)
    tracked: set[str] = {"message_id"}
    arguments: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in TRANSLATOR_NAMES and node.args:
            arguments.append(node.args[0])
        if isinstance(node, ast.Call) and _callee(node) == "PlacementAlert":
            kind = node.args[1] if len(node.args) > 1 else None
            kind = next((k.value for k in node.keywords if k.arg == "kind"), kind)
            if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                use.alert_kinds.add(kind.value)
    for argument in arguments:
        for literal in _literals(argument):
            add(literal, CALL_ID_PATTERN)
        for child in ast.walk(argument):
            if isinstance(child, ast.JoinedStr) and child.values:
                head = child.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    use.fstring_prefixes[head.value].add(f"{filename}:{child.lineno}")
            if isinstance(child, ast.Name):
                tracked.add(child.id)
    pending = list(tracked)
    while pending:
        for value in assigned.get(pending.pop(), []):
            for literal in _literals(value):
                add(literal)
            for child in ast.walk(value):
                if isinstance(child, ast.Name) and child.id not in tracked:
                    tracked.add(child.id)
                    pending.append(child.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict | ast.List | ast.Tuple | ast.Set):
            literals = list(_literals(node))
            if any(literal.value in known_ids for literal in literals):
                for literal in literals:
                    add(literal)
        elif isinstance(node, ast.Constant) and node.value in known_ids:
            add(node)


def _code_use() -> CodeUse:
    use = CodeUse()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            scan_source(path.read_text(encoding="utf-8"), relative, ALL_IDS, use)
    return use


def _family_expansions(use: CodeUse) -> dict[str, set[str]]:
    kinds = set(ALERT_KINDS) | use.alert_kinds
    return {
        "admin-alert-": {"admin-alert-" + kind.replace("_", "-") for kind in kinds},
    }


def test_scanner_finds_ids_in_the_shapes_the_code_uses() -> None:
    source = """
class NewError(StorefrontError):
    message_id = "brand-new-error"

_IDS = {1: "status-canceled", 2: "status-brand-new"}
COMMANDS = (("start", "command-start"), ("brand", "command-brand-new"))

async def handler(message, i18n, flag):
    prompt = "brand-new-prompt" if flag else "order-ask-link"
    await message.answer(i18n("brand-new-id", count=1))
    await message.answer(i18n("brandnew"))
    await message.answer(i18n(prompt))
    await messenger.send(1, lambda t: t(f"brand-family-{flag}"))
    for name, description_id in COMMANDS:
        translator(description_id)
    task("not-a-message")
"""
    use = CodeUse()
    scan_source(source, "snippet.py", {"status-canceled", "command-start", "order-ask-link"}, use)
    found = set(use.ids)
    assert {
        "brand-new-error",
        "status-brand-new",
        "command-brand-new",
        "brand-new-prompt",
        "brand-new-id",
        "brandnew",
    } <= found
    assert "not-a-message" not in found
    assert set(use.fstring_prefixes) == {"brand-family-"}


def test_every_message_id_used_in_the_code_exists_in_every_language() -> None:
    use = _code_use()
    expected = {
        "menu-title",
        "error-generic",
        "order-link-invalid",
        "status-canceled",
        "service-type-poll",
        "command-start",
        "refusal-other",
        "balance-credited-notice",
        "orders-title",
        "help",
        "welcome",
        "banned",
    }
    assert expected <= set(use.ids), "the scanner no longer sees the code's message ids"

    unknown_families = set(use.fstring_prefixes) - set(FSTRING_FAMILIES)
    assert not unknown_families, (
        "message ids built with f-strings that this test cannot expand; add them to "
        f"FSTRING_FAMILIES and _family_expansions: {dict(use.fstring_prefixes)}"
    )
    used = {message_id: sorted(places) for message_id, places in use.ids.items()}
    for prefix, expansions in _family_expansions(use).items():
        for message_id in expansions:
            used.setdefault(message_id, sorted(use.fstring_prefixes.get(prefix, {prefix})))
    missing = {
        language: [f"{message_id} ({', '.join(used[message_id])})" for message_id in ids]
        for language in LANGUAGES
        if (ids := sorted(set(used) - IDS[language]))
    }
    assert not missing, "message ids used in the code but missing: " + "; ".join(
        f"{language}: {', '.join(entries)}" for language, entries in missing.items()
    )


def test_f_string_families_cover_every_alert_kind() -> None:
    use = _code_use()
    assert set(use.fstring_prefixes) == set(FSTRING_FAMILIES)
    assert set(ALERT_KINDS) <= use.alert_kinds, "an alert kind is no longer raised by the code"


# --- Formatting ------------------------------------------------------------------------------

MESSAGE_CASES = sorted((language, message_id) for language in LANGUAGES for message_id in ALL_IDS)


@pytest.mark.parametrize(("language", "message_id"), MESSAGE_CASES)
def test_message_formats_cleanly(language: str, message_id: str) -> None:
    if message_id not in IDS[language]:
        pytest.skip("reported by test_every_language_has_the_same_message_ids")
    for arguments in _argument_sets(message_id):
        text, errors = _format(language, message_id, arguments)
        assert not errors, f"{language}/{message_id} with {arguments}: {errors}"
        assert text.strip(), f"{language}/{message_id} is empty with {arguments}"
        leaked = [mark for mark in ("{", "}", "$") if mark in text]
        assert not leaked, f"{language}/{message_id} shows {leaked}: {text!r}"
        stack: list[str] = []
        for closing, tag in _tags(text):
            assert tag in TELEGRAM_TAGS, f"{language}/{message_id}: <{tag}> in {text!r}"
            if closing:
                assert stack and stack.pop() == tag, f"{language}/{message_id}: {text!r}"
            else:
                stack.append(tag)
        assert not stack, f"{language}/{message_id} leaves <{stack[-1]}> open: {text!r}"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_translations_keep_the_variables_and_tags(language: str) -> None:
    problems = []
    for message_id, original in MESSAGES[DEFAULT_LANGUAGE].items():
        translated = MESSAGES[language].get(message_id)
        if translated is None:
            continue
        ours, theirs = _facts(original), _facts(translated)
        if ours.variables != theirs.variables:
            problems.append(f"{message_id}: {sorted(theirs.variables)} != {sorted(ours.variables)}")
        for name, keys in ours.selectors.items():
            if not _is_plural(name, keys) and theirs.selectors.get(name) != keys:
                problems.append(f"{message_id}: variants of ${name} differ from {sorted(keys)}")
        tags_ours = Counter(tag for _, tag in _tags("".join(ours.text)))
        tags_theirs = Counter(tag for _, tag in _tags("".join(theirs.text)))
        if set(tags_ours) != set(tags_theirs):
            problems.append(f"{message_id}: tags {dict(tags_theirs)} != {dict(tags_ours)}")
    assert not problems, f"{language} differs from {DEFAULT_LANGUAGE}:\n" + "\n".join(problems)


def test_ids_are_shown_without_thousands_separators() -> None:
    for language in LANGUAGES:
        text, errors = _format(language, "balance-how-to-top-up", {"user_id": 123456789})
        assert not errors
        assert "<code>123456789</code>" in text, f"{language}: {text!r}"
        text, errors = _format(language, "order-placed", {"id": 12345})
        assert not errors
        assert "#12345" in text, f"{language}: {text!r}"


def test_telegram_link_selector_matches_the_boolean_the_code_passes() -> None:
    for language in LANGUAGES:
        telegram, _ = _format(language, "order-link-invalid", {"telegram": _prepare(True)})
        other, _ = _format(language, "order-link-invalid", {"telegram": _prepare(False)})
        assert "t.me" in telegram and "t.me" not in other, language


def test_command_descriptions_fit_telegram() -> None:
    for language in LANGUAGES:
        for message_id in sorted(IDS[language]):
            if message_id.startswith("command-"):
                text, _ = _format(language, message_id, {})
                assert 3 <= len(text) <= 256, f"{language}/{message_id}: {text!r}"
                assert "<" not in text, f"{language}/{message_id} has markup: {text!r}"


# --- Plurals and Russian ---------------------------------------------------------------------


def test_plural_selectors_cover_every_category_of_their_language() -> None:
    problems = []
    for language in LANGUAGES:
        categories = set(Locale.parse(language).plural_form.tags) | {"other"}
        for message_id, message in MESSAGES[language].items():
            for name, keys in _facts(message).selectors.items():
                if _is_plural(name, keys):
                    words = {key for key in keys if not key.isdigit()}
                    if words != categories:
                        problems.append(
                            f"{language}/{message_id} ${name}: {sorted(keys)}, "
                            f"expected {sorted(categories)}"
                        )
    assert not problems, "\n".join(problems)


def _count_word(language: str, count: int) -> str:
    text, errors = _format(
        language, "order-comments-invalid", {"minimum": 10, "maximum": 200, "count": count}
    )
    assert not errors
    found = re.search(rf"(?<!\d){count} (\w+)", text)
    assert found, f"{language}: no '{count} <word>' in {text!r}"
    return found.group(1)


def test_russian_count_plural_forms() -> None:
    forms = {count: _count_word("ru", count) for count in (1, 2, 3, 5, 11, 12, 21, 22, 25, 101)}
    assert forms[1] == forms[21] == forms[101]
    assert forms[2] == forms[3] == forms[22]
    assert forms[5] == forms[11] == forms[12] == forms[25]
    assert len({forms[1], forms[2], forms[5]}) == 3, forms


def test_english_count_plural_forms() -> None:
    assert _count_word("en", 1) != _count_word("en", 2) == _count_word("en", 5)


def test_russian_is_russian() -> None:
    latin_only = sorted(
        message_id
        for message_id, message in MESSAGES["ru"].items()
        if message_id not in NO_WORDS and not CYRILLIC.search("".join(_facts(message).text))
    )
    assert not latin_only, f"Russian messages without Russian text: {latin_only}"
    same_as_english = sorted(
        message_id
        for message_id, message in MESSAGES["ru"].items()
        if message_id not in NO_WORDS
        and message_id in MESSAGES["en"]
        and _facts(message).text == _facts(MESSAGES["en"][message_id]).text
    )
    assert not same_as_english, f"Russian messages identical to English: {same_as_english}"
