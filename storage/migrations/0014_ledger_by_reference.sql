-- Looking an entry up by its reference (a payment's referral bonus and its reversal, a Stars
-- refund's attempts, an order's refund when an admin settles it) could use none of the
-- once-only indexes: they are partial on lists of kinds, which a `kind = ?` parameter does
-- not prove, so each lookup read every row of the table (8.6 ms at 100,000 rows). A plain
-- index on the reference serves them; `reference = ?` implies the NOT NULL it is partial on.
CREATE INDEX ledger_by_reference ON ledger (reference) WHERE reference IS NOT NULL;
