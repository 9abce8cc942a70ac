-- Indexes for look-ups made on every checkout or by a periodic job, which
-- scanned whole tables and so grew slower with every order taken:
-- * completing the idempotency key of an order (checkout's last write, and
--   recovery's) finds the key by its order;
-- * the hold-renewal job asks, for each uncaptured card order, for its
--   payment attempts by operation (a scan per order: quadratic in orders).
CREATE INDEX idempotency_keys_by_order ON idempotency_keys (order_id);
CREATE INDEX payment_attempts_by_order ON payment_attempts (order_id, operation);
