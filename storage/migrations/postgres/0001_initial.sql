-- PostgreSQL version of 0001 (types translated on load; triggers in PL/pgSQL).
-- Foundation schema. Amounts are INTEGER micro-units (10^-6 of the shop currency);
-- upstream rates and charges are TEXT decimals, kept exactly as the panel quoted them.

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,            -- Telegram user id
    language     TEXT    NOT NULL,
    first_name   TEXT    NOT NULL DEFAULT '',
    username     TEXT,
    -- Kept equal to SUM(ledger.amount) by the ledger_apply trigger; never written directly.
    balance      INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    banned       INTEGER NOT NULL DEFAULT 0,
    blocked_bot  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL
);

CREATE TABLE ledger (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    kind       TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    reference  TEXT,
    note       TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX ledger_by_user ON ledger (user_id, id);
-- Charges, refunds and payments happen at most once per reference, whatever the races.
CREATE UNIQUE INDEX ledger_once ON ledger (kind, reference)
    WHERE kind IN ('order_charge', 'order_refund', 'topup', 'topup_refund');

-- The ledger's rules, as in SQLite's triggers: each row moves the balance in the same
-- statement, and rows are never changed or removed. SQLSTATE 23000 makes a broken rule a
-- constraint error on both engines.
CREATE FUNCTION ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET balance = balance + NEW.amount WHERE id = NEW.user_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_apply AFTER INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_apply();

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only' USING ERRCODE = '23000';
END;
$$;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE TABLE categories (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,  -- stable across syncs: callback data names it
    name     TEXT    NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE services (
    id           INTEGER PRIMARY KEY,             -- the panel's service id
    category_id  INTEGER NOT NULL REFERENCES categories (id),
    name         TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    rate         TEXT    NOT NULL,
    min_quantity INTEGER NOT NULL,
    max_quantity INTEGER NOT NULL,
    refill       INTEGER NOT NULL,
    cancel       INTEGER NOT NULL,
    dripfeed     INTEGER NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    position     INTEGER NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,      -- 0 once it vanished upstream
    updated_at   TEXT    NOT NULL
);
CREATE INDEX services_by_category ON services (category_id, active, position);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    -- One confirmation card can pay for one order only: pressing Confirm twice is harmless.
    confirm_token  TEXT    NOT NULL UNIQUE,
    upstream_id    INTEGER UNIQUE,
    service_id     INTEGER NOT NULL,
    -- Snapshot of the service as the user confirmed it: survives price changes and removal.
    service_name   TEXT    NOT NULL,
    service_type   TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    rate           TEXT    NOT NULL,
    refill_allowed INTEGER NOT NULL,
    cancel_allowed INTEGER NOT NULL,
    link           TEXT    NOT NULL,
    quantity       INTEGER,
    extras         TEXT    NOT NULL DEFAULT '{}',
    price          INTEGER NOT NULL CHECK (price > 0),
    panel_charge   TEXT,
    currency       TEXT,
    -- placing | unknown | failed, or the panel's status (canonical spelling when known)
    status         TEXT    NOT NULL,
    remains        INTEGER,
    start_count    INTEGER,
    error          TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    checked_at     TEXT
);
CREATE INDEX orders_by_user ON orders (user_id, id);
CREATE INDEX orders_by_status ON orders (status);

CREATE TABLE refills (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    upstream_id INTEGER,
    status      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    checked_at  TEXT
);
CREATE INDEX refills_by_order ON refills (order_id);

-- aiogram FSM state per chat/user, so a customer halfway through an order survives a restart.
CREATE TABLE fsm_states (
    key        TEXT PRIMARY KEY,
    state      TEXT,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
