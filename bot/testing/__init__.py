"""Test doubles shipped with the package, for the tests and the benchmarks alike.

- :mod:`bot.testing.telegram`: a fake Telegram Bot API (over HTTP, or in process);
- :mod:`bot.testing.panel`: a fake SMM panel over HTTP, with the quirks of real panels;
- :mod:`bot.testing.cryptopay`: a fake Crypto Pay API (invoices, signed webhooks);
- :mod:`bot.testing.harness`: a real Dispatcher polling the fake Telegram;
- :mod:`bot.testing.user`: the one test user: sends, clicks, reads, waits.

Nothing in the bot imports them; they depend on aiohttp, which aiogram brings.
"""
