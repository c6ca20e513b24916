-- PostgreSQL version of 0007 (triggers in PL/pgSQL).
-- Growth: referrals and promo codes.
-- Kept apart from the foundation's ledger index and sign trigger (other migrations may
-- rebuild those): the new kinds get their own once-only index and sign check.

-- Each user's invite code, made on first use: random, so it does not reveal the user's id.
CREATE TABLE referral_codes (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    code       TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL
);

-- Who invited whom. One row per invited user, written once when their very first /start
-- carried an invite: the primary key makes a second binding impossible, the CHECK refuses
-- inviting oneself and the trigger refuses any later change.
CREATE TABLE referrals (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    referrer_id INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT    NOT NULL,
    CHECK (referrer_id <> user_id)
);
CREATE INDEX referrals_by_referrer ON referrals (referrer_id);
CREATE FUNCTION referrals_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'a referral is never changed' USING ERRCODE = '23000';
    END IF;
    RAISE EXCEPTION 'a referral is never removed' USING ERRCODE = '23000';
END;
$$;
CREATE TRIGGER referrals_no_update BEFORE UPDATE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_fixed();
CREATE TRIGGER referrals_no_delete BEFORE DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_fixed();

-- Promo codes, stored upper-case. An amount code credits the balance; a percent code is a
-- discount on the customer's next order. `used` counts redemptions and never passes
-- `max_uses`: redemptions claim a use with a conditional UPDATE, and this CHECK backs it.
CREATE TABLE promo_codes (
    code       TEXT    PRIMARY KEY,
    amount     INTEGER CHECK (amount IS NULL OR amount > 0),     -- micro-units
    percent    TEXT,                                             -- decimal, 0 < p < 100
    max_uses   INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    used       INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
    valid_until TEXT,                                            -- last valid day, YYYY-MM-DD (UTC)
    active     INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    CHECK ((amount IS NULL) <> (percent IS NULL)),
    CHECK (max_uses IS NULL OR used <= max_uses)
);

-- One redemption per (code, user). A percent code's redemption is a pending discount until
-- an order consumes it (order_id set in the same transaction as that order's charge).
CREATE TABLE promo_redemptions (
    code        TEXT    NOT NULL REFERENCES promo_codes (code),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    percent     TEXT,
    order_id    INTEGER REFERENCES orders (id),
    created_at  TEXT    NOT NULL,
    consumed_at TEXT,
    PRIMARY KEY (code, user_id)
) WITHOUT ROWID;
-- At most one discount waits for a user's next order.
CREATE UNIQUE INDEX promo_one_pending ON promo_redemptions (user_id)
    WHERE percent IS NOT NULL AND order_id IS NULL;
CREATE UNIQUE INDEX promo_order_once ON promo_redemptions (order_id) WHERE order_id IS NOT NULL;

-- Referral bonuses (one per payment) and promo credits (one per code and user), once only.
CREATE UNIQUE INDEX ledger_once_growth ON ledger (kind, reference)
    WHERE kind IN ('referral', 'promo');
CREATE TRIGGER ledger_sign_growth BEFORE INSERT ON ledger FOR EACH ROW
WHEN (NEW.kind IN ('referral', 'promo') AND (NEW.amount <= 0 OR NEW.reference IS NULL))
EXECUTE FUNCTION ledger_sign();
