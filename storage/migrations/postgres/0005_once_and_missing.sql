-- PostgreSQL version of 0005 (LIKE for GLOB; the sign trigger in PL/pgSQL).
-- Exactly once for every credit that can be asked for twice, and orders the panel forgot.

-- The once-only index grows two cases:
-- * an admin's /addbalance or /subbalance is one per command message ('admin:<chat>:<message>'),
--   so a redelivered update cannot credit twice. Rows written before this migration carry
--   'admin:<admin id>', which repeats by design, so only the per-message shape is indexed;
-- * the undo of a Stars refund Telegram refused ('topup_refund_undone') is one per refund
--   attempt: its reference is the reference of the debit it puts back.
DROP INDEX ledger_once;
CREATE UNIQUE INDEX ledger_once ON ledger (kind, reference)
    WHERE kind IN ('order_charge', 'order_refund', 'topup', 'topup_refund', 'topup_refund_undone')
       OR (kind IN ('admin_credit', 'admin_debit') AND reference LIKE 'admin:%:%');

DROP TRIGGER ledger_sign ON ledger;
CREATE TRIGGER ledger_sign BEFORE INSERT ON ledger FOR EACH ROW
WHEN ((NEW.kind IN ('order_charge', 'admin_debit', 'topup_refund') AND NEW.amount > 0)
   OR (NEW.kind IN ('order_refund', 'admin_credit', 'topup', 'topup_refund_undone')
       AND NEW.amount < 0))
EXECUTE FUNCTION ledger_sign();

-- When the panel first answered "no such order" for a placed order (NULL while it knows it):
-- admins hear of it once, then after UNKNOWN_ORDER_GRACE_HOURS it is settled by hand.
ALTER TABLE orders ADD COLUMN missing_since TEXT;
CREATE INDEX orders_missing ON orders (missing_since) WHERE missing_since IS NOT NULL;
