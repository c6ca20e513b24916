-- The status sync walks the trackable orders in id order from where its last round stopped,
-- instead of oldest-`checked_at` first. Marking every answered order checked rewrote its row
-- and its entry in `orders_to_sync` every round (a write transaction per batch of 100, most
-- of a round's database work when nothing changed); now only an answer that changes
-- something is written, and the round's progress is one row per panel.
--
-- `order_id`: every batch up to this order id (in the round's order) was asked and stored;
-- the next round starts after it, then wraps around to the lowest ids. A round cut short, or
-- a batch that failed, so starts the next round where it stopped, as the stalest-first order
-- did. Orders from before several panels (panel '') are in their main panel's round.
CREATE TABLE sync_cursors (
    panel      TEXT    PRIMARY KEY,
    order_id   INTEGER NOT NULL,
    updated_at TEXT    NOT NULL
);

DROP INDEX orders_to_sync;
CREATE INDEX orders_to_sync ON orders (id)
    WHERE upstream_id IS NOT NULL
      AND status NOT IN ('Completed', 'Partial', 'Canceled', 'failed', 'unknown', 'placing');
-- Written for nothing else: what it ordered is the cursor's now.
ALTER TABLE orders DROP COLUMN checked_at;
