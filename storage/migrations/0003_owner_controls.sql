-- The owner's controls: persisted settings, markups per category/service, hiding, broadcasts.

-- Small key/value settings an admin changes at run time (e.g. the global markup).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A markup that overrides the global one for a category or a single service.
CREATE TABLE markups (
    scope     TEXT    NOT NULL CHECK (scope IN ('category', 'service')),
    target_id INTEGER NOT NULL,
    percent   TEXT    NOT NULL,
    PRIMARY KEY (scope, target_id)
);

ALTER TABLE categories ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

CREATE TABLE broadcasts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id          INTEGER NOT NULL,
    source_chat_id    INTEGER NOT NULL,
    source_message_id INTEGER NOT NULL,
    -- draft → running → done | stopped (a draft the admin dropped becomes 'discarded')
    status            TEXT    NOT NULL,
    progress_chat_id  INTEGER,
    progress_message_id INTEGER,
    created_at        TEXT    NOT NULL,
    started_at        TEXT,
    finished_at       TEXT
);
-- Two broadcasts never run at once, whatever the races between admins.
CREATE UNIQUE INDEX broadcasts_one_running ON broadcasts (status) WHERE status = 'running';

CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    user_id      INTEGER NOT NULL,
    -- pending → sent | failed | blocked
    state        TEXT    NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    updated_at   TEXT,
    PRIMARY KEY (broadcast_id, user_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_pending ON broadcast_recipients (broadcast_id, state, user_id);

CREATE INDEX users_created ON users (created_at);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX ledger_kind_created ON ledger (kind, created_at);
