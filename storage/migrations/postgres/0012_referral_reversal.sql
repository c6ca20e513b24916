-- PostgreSQL version of 0012 (the sign trigger in PL/pgSQL, ledger_sign() from 0002).
-- A referral bonus taken back when the payment that earned it is refunded (/refund). Its
-- reference is the bonus's own (the payment's), so a payment's bonus is taken back at most
-- once whatever retries or races; it is always a debit, and the balance CHECK keeps it from
-- taking more than the referrer has (the service takes what is there).
CREATE UNIQUE INDEX ledger_once_reversal ON ledger (kind, reference)
    WHERE kind = 'referral_reversal';
CREATE TRIGGER ledger_sign_reversal BEFORE INSERT ON ledger FOR EACH ROW
WHEN (NEW.kind = 'referral_reversal' AND (NEW.amount >= 0 OR NEW.reference IS NULL))
EXECUTE FUNCTION ledger_sign();
