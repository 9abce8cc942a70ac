-- Client accounts, their sessions, single-use e-mailed tokens, saved
-- addresses, and the requests clients make on their orders (issue 4).

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    -- As typed, with the domain lower-cased; unique ignoring case.
    email               TEXT NOT NULL,
    email_key           TEXT NOT NULL UNIQUE,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    phone               TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

-- A signed-in browser or API client. Only the SHA-256 of the token is kept:
-- a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account_id);

-- Links sent by e-mail: a registration to confirm (the account does not exist
-- until then, so registering reveals nothing), or a password reset. Only the
-- SHA-256 of the token is kept; a token works once.
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('registration', 'password_reset')),
    email_key   TEXT NOT NULL,
    account_id  TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    -- A registration's details: names, phone and the password's hash (JSON).
    payload     TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE saved_addresses (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    line1       TEXT NOT NULL,
    line2       TEXT,
    city        TEXT NOT NULL,
    region      TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country     TEXT NOT NULL,
    company     TEXT,
    created_at  BIGINT NOT NULL
);

CREATE INDEX saved_addresses_by_account ON saved_addresses (account_id, created_at);

ALTER TABLE orders ADD COLUMN account_id TEXT REFERENCES accounts (id);
CREATE INDEX orders_by_account ON orders (account_id, created_at);
-- The order's e-mail as accounts key theirs, to gather a new client's guest
-- orders. Lower-cased by the application (SQL LOWER differs between the two
-- databases outside ASCII): orders from before this migration get theirs
-- when the store opens (`Store::migrate`).
ALTER TABLE orders ADD COLUMN email_key TEXT;
CREATE INDEX orders_by_email_key ON orders (email_key);

-- A client's bag follows the client from one device to another.
ALTER TABLE bags ADD COLUMN account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL;
CREATE INDEX bags_by_account ON bags (account_id, updated_at);

-- "Request cancellation or change": recorded on the order for Client Relations.
CREATE TABLE order_requests (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    account_id  TEXT REFERENCES accounts (id),
    kind        TEXT NOT NULL CHECK (kind IN ('cancellation', 'change')),
    message     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    created_at  BIGINT NOT NULL
);

CREATE INDEX order_requests_by_order ON order_requests (order_id, created_at);
-- One open request of each kind per order: a double click records one.
CREATE UNIQUE INDEX order_requests_one_open ON order_requests (order_id, kind) WHERE status = 'open';
