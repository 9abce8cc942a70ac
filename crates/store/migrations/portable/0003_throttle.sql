-- Attempt counters shared by every instance (guest order look-up, later
-- sign-in): one row per key and fixed window.
CREATE TABLE throttle (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
