-- Quotes the Mini App showed a customer, until they confirm one. The order placed from a quote
-- takes its token as its confirm_token, whose UNIQUE constraint makes a second confirmation of
-- the same quote (a double tap, two racing requests) place nothing and charge nothing.
CREATE TABLE web_quotes (
    token      TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    quote      TEXT    NOT NULL,                  -- the Quote as JSON: what the customer saw
    created_at TEXT    NOT NULL
);
CREATE INDEX web_quotes_by_age ON web_quotes (created_at);
