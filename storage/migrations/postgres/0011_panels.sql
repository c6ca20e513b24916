-- PostgreSQL version of 0011 (the sync index in the order the sync reads it: NULLS FIRST).
-- Several panels behind one shop.
--
-- `services` stays the catalog customers see: a shop service, its id the one on cards, in
-- search results, deep links and mass orders. What each panel sells is `panel_services`; the
-- panel services of one shop service are its route. Rows from before this migration belong to
-- the main panel: they are written with the panel name '' and given the main panel's name
-- (SMM_PANEL_NAME) at the next start-up, so existing services keep their ids and their route.
CREATE TABLE panel_services (
    panel           TEXT    NOT NULL,
    service_id      INTEGER NOT NULL,                  -- the panel's own service id
    shop_service_id INTEGER NOT NULL,                  -- services.id (kept by the catalog sync)
    category        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    rate            TEXT    NOT NULL,                  -- in the panel's currency
    min_quantity    INTEGER NOT NULL,
    max_quantity    INTEGER NOT NULL,
    refill          INTEGER NOT NULL,
    cancel          INTEGER NOT NULL,
    dripfeed        INTEGER NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    position        INTEGER NOT NULL,                  -- in the panel's own catalog
    active          INTEGER NOT NULL DEFAULT 1,        -- 0 once it vanished from the panel
    -- Set by /route: the place in the shop service's route; NULL in an automatic route
    -- (cheapest first), and for a member an admin left out of a set route.
    route_position  INTEGER,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (panel, service_id)
);
CREATE INDEX panel_services_by_shop ON panel_services (shop_service_id);

-- 1 when an admin set the route with /route (members in route_position order); 0: cheapest.
ALTER TABLE services ADD COLUMN pinned_route INTEGER NOT NULL DEFAULT 0;

INSERT INTO panel_services (panel, service_id, shop_service_id, category, name, type, rate,
    min_quantity, max_quantity, refill, cancel, dripfeed, description, position, active,
    updated_at)
SELECT '', s.id, s.id, c.name, s.name, s.type, s.rate, s.min_quantity, s.max_quantity,
    s.refill, s.cancel, s.dripfeed, s.description, s.position, s.active, s.updated_at
FROM services s JOIN categories c ON c.id = s.category_id;

-- Each order records its panel and that panel's ids. A panel order id is unique per panel:
-- SQLite cannot drop the old column-level UNIQUE without rebuilding the table (which would
-- have to list every column other migrations add), so the old column is set aside, emptied,
-- and a new `upstream_id` takes its place, unique with `panel`.
DROP INDEX orders_to_sync;
ALTER TABLE orders RENAME COLUMN upstream_id TO upstream_id_before_panels;
ALTER TABLE orders ADD COLUMN upstream_id INTEGER;
ALTER TABLE orders ADD COLUMN panel TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN panel_service_id INTEGER;
UPDATE orders SET upstream_id = upstream_id_before_panels, panel = '',
    panel_service_id = service_id;
UPDATE orders SET upstream_id_before_panels = NULL;
CREATE UNIQUE INDEX orders_panel_upstream ON orders (panel, upstream_id)
    WHERE upstream_id IS NOT NULL;
CREATE INDEX orders_to_sync ON orders (checked_at NULLS FIRST, id)
    WHERE upstream_id IS NOT NULL
      AND status NOT IN ('Completed', 'Partial', 'Canceled', 'failed', 'unknown', 'placing');
