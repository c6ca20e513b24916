-- Top-ups paid with Telegram Stars. The ledger's unique (kind, reference) already makes a
-- credit happen once per charge id; this table keeps what refunds need to know.
CREATE TABLE payments (
    charge_id          TEXT    PRIMARY KEY,      -- telegram_payment_charge_id
    provider_charge_id TEXT,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    stars              INTEGER NOT NULL CHECK (stars > 0),
    amount             INTEGER NOT NULL CHECK (amount > 0),   -- credited, micro-units
    payload            TEXT    NOT NULL,
    -- paid → refunding → refunded (refunding survives a crash mid-refund, to be finished)
    status             TEXT    NOT NULL DEFAULT 'paid',
    created_at         TEXT    NOT NULL,
    refunded_at        TEXT
);
CREATE INDEX payments_by_user ON payments (user_id, created_at);
