-- A bag becomes at most one order (issue 14, item A): the first checkout claims
-- the bag by writing its order here, in the transaction that reserves the
-- stock; every other checkout of the bag is refused. A payment that fails
-- gives the bag back; a confirmed order keeps it.
ALTER TABLE bags ADD COLUMN order_id TEXT;
