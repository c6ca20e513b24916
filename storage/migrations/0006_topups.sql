-- One row per top-up attempt, whatever the payment rail (Stars, Crypto Pay, manual transfer).
-- A provider's payment is credited once: the unique (rail, provider_payment_id) below, and the
-- ledger's unique (kind, reference) on the credit itself, written in the same transaction as
-- this row's move to 'paid'.
CREATE TABLE topups (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    rail                TEXT    NOT NULL,
    user_id             INTEGER NOT NULL REFERENCES users (id),
    amount              INTEGER NOT NULL CHECK (amount > 0),   -- micro-units of the currency
    currency            TEXT    NOT NULL,
    -- pending (created, not paid) | review (manual: proof sent, an admin decides)
    -- | paid | expired | rejected | failed (the provider never took it)
    status              TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'review', 'paid', 'expired', 'rejected', 'failed')),
    provider_payment_id TEXT,   -- Stars charge id, Crypto Pay invoice_id, manual: our own id
    pay_url             TEXT,
    expires_at          TEXT,
    proof_kind          TEXT,   -- manual: photo | document | text
    proof_chat_id       INTEGER,
    proof_message_id    INTEGER,
    proof_text          TEXT,
    decided_by          INTEGER,
    reason              TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    paid_at             TEXT
);
CREATE UNIQUE INDEX topups_once_per_provider_payment ON topups (rail, provider_payment_id);
CREATE INDEX topups_open ON topups (rail, status) WHERE status IN ('pending', 'review');
CREATE INDEX topups_paid ON topups (paid_at) WHERE status = 'paid';
CREATE INDEX topups_by_user ON topups (user_id, created_at);
-- Stars payments made before rails existed, so /stats counts them by rail too.
INSERT INTO topups (rail, user_id, amount, currency, status, provider_payment_id, created_at,
                    updated_at, paid_at)
SELECT 'stars', user_id, amount, '', 'paid', charge_id, created_at, created_at, created_at
FROM payments;
