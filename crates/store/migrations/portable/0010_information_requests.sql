-- Information requests and quotes (issue 10, rule R16): clients ask about a
-- creation priced on request; Prestige Advisors work the queue and issue
-- quotes for a specific piece, paid once through a private link.
CREATE TABLE information_requests (
    id           TEXT PRIMARY KEY,
    sku          TEXT NOT NULL,
    first_name   TEXT NOT NULL,
    last_name    TEXT NOT NULL,
    email        TEXT NOT NULL,
    -- Lower-cased, trimmed: a client's requests found together.
    email_key    TEXT NOT NULL,
    phone        TEXT NOT NULL,
    message      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('new', 'assigned', 'contacted', 'quoted', 'closed')),
    -- The e-mail address of the advisor who has it.
    assigned_to  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE INDEX information_requests_queue ON information_requests (status, created_at, id);
CREATE INDEX information_requests_by_time ON information_requests (created_at, id);
CREATE INDEX information_requests_by_client ON information_requests (email_key);

CREATE TABLE quotes (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL REFERENCES information_requests (id),
    sku              TEXT NOT NULL,
    price_minor      BIGINT NOT NULL CHECK (price_minor > 0),
    currency         TEXT NOT NULL,
    carat_hundredths BIGINT NOT NULL CHECK (carat_hundredths > 0),
    colour           TEXT NOT NULL,
    clarity          TEXT NOT NULL CHECK (clarity IN ('FL', 'IF', 'VVS1', 'VVS2', 'VS1', 'VS2', 'SI1', 'SI2', 'I1', 'I2', 'I3')),
    cut              TEXT NOT NULL CHECK (cut IN ('excellent', 'very_good', 'good', 'fair', 'poor')),
    -- The private link's token is never stored: only its SHA-256.
    token_hash       TEXT NOT NULL UNIQUE,
    -- 'used' once an order holds it; an order whose payment failed gives it
    -- back (read through the order's status). Expiry is read from expires_at.
    status           TEXT NOT NULL CHECK (status IN ('open', 'used')),
    expires_at       BIGINT NOT NULL,
    order_id         TEXT REFERENCES orders (id),
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE INDEX quotes_by_request ON quotes (request_id, created_at);
CREATE UNIQUE INDEX quotes_by_order ON quotes (order_id);
