-- Assisted orders (issue 10): orders Client Relations place for a client by
-- telephone or in a boutique, paid by card, wire or cash, with documents by
-- e-mail or fax; and the wire and cash receipts that pay them.
CREATE TABLE assisted_orders (
    order_id              TEXT PRIMARY KEY REFERENCES orders (id),
    via                   TEXT NOT NULL CHECK (via IN ('telephone', 'boutique')),
    placed_by             TEXT NOT NULL,
    documents_channel     TEXT NOT NULL CHECK (documents_channel IN ('email', 'fax')),
    fax_number            TEXT,
    limit_override_reason TEXT,
    cash_boutique_id      TEXT,
    large_cash            BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE receipts (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders (id),
    method        TEXT NOT NULL CHECK (method IN ('wire', 'cash')),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    reference     TEXT NOT NULL,
    -- A bank reference is unique: the same transfer recorded twice is refused.
    -- Cash receipts leave it NULL (NULLs are distinct on both databases).
    reference_key TEXT,
    recorded_by   TEXT NOT NULL,
    received_at   BIGINT NOT NULL
);

CREATE UNIQUE INDEX receipts_reference ON receipts (reference_key);
CREATE INDEX receipts_order ON receipts (order_id, received_at);
