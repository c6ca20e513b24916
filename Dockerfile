# The storefront bot. SQLite by default (mount /app/data to keep the shop); with DATABASE_URL
# it runs on PostgreSQL, and several containers of it can serve one webhook URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales
# Editable: the translations (locales/) are found next to the code, as in a checkout.
RUN pip install -e . \
    && useradd --create-home --uid 10001 storefront \
    && mkdir -p /app/data \
    && chown storefront /app/data /app
USER storefront

VOLUME ["/app/data"]
# The webhook server (WEBHOOK_URL set); polling needs no port.
EXPOSE 8080
# SIGTERM stops at a safe point (updates in flight finish, background work stops).
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
