-- PostgreSQL version of 0002 (the sign trigger in PL/pgSQL).
-- Status sync: an outbox of notifications, and indexes for the sync's queries.

-- Every message the bot owes a user is stored here in the same transaction as the change it
-- reports, then sent from here: a crash between the two resends it after restart, and the
-- unique dedupe key makes the same change impossible to queue twice.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL DEFAULT '{}',
    dedupe_key  TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    sent_at     TEXT,
    dropped     INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL AND dropped = 0;

-- The sync's working set: placed orders that are not final yet, oldest-checked first.
CREATE INDEX orders_to_sync ON orders (checked_at NULLS FIRST, id)
    WHERE upstream_id IS NOT NULL
      AND status NOT IN ('Completed', 'Partial', 'Canceled', 'failed', 'unknown', 'placing');
CREATE INDEX refills_to_sync ON refills (checked_at NULLS FIRST, id)
    WHERE upstream_id IS NOT NULL AND status NOT IN ('Completed', 'Rejected', 'Error');

-- Amounts must have the sign of their kind, whatever code writes them.
CREATE FUNCTION ledger_sign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger amount has the wrong sign for its kind' USING ERRCODE = '23000';
END;
$$;
CREATE TRIGGER ledger_sign BEFORE INSERT ON ledger FOR EACH ROW
WHEN ((NEW.kind IN ('order_charge', 'admin_debit', 'topup_refund') AND NEW.amount > 0)
   OR (NEW.kind IN ('order_refund', 'admin_credit', 'topup') AND NEW.amount < 0))
EXECUTE FUNCTION ledger_sign();
