-- Drip-feed orders: the quantity is delivered `runs` times, `interval_minutes` apart, and the
-- price covers every run. Both NULL for an order delivered at once; never one without the
-- other. (The services' `dripfeed` flag has been stored since 0001.)
ALTER TABLE orders ADD COLUMN runs INTEGER CHECK (runs IS NULL OR runs >= 2);
ALTER TABLE orders ADD COLUMN interval_minutes INTEGER CHECK (
    (interval_minutes IS NULL) = (runs IS NULL)
    AND (interval_minutes IS NULL OR interval_minutes >= 1)
);
