-- Returns (issue 11): records against a delivered or collected order's lines,
-- under the Conditions of Sale. requested → authorised → received → refunded,
-- or rejected (with the staff's reason) before the refund.
CREATE TABLE returns (
    id                TEXT PRIMARY KEY,
    order_id          TEXT NOT NULL REFERENCES orders (id),
    status            TEXT NOT NULL CHECK (status IN ('requested', 'authorised', 'received',
                        'refunded', 'rejected')),
    reason            TEXT NOT NULL,
    -- What the returned lines cost the client: the amount refunded.
    amount_minor      BIGINT NOT NULL CHECK (amount_minor >= 0),
    restocked         BIGINT CHECK (restocked IN (0, 1)),
    rejection_reason  TEXT,
    -- card (through the processor), wire or cash (recorded with a reference).
    refund_method     TEXT CHECK (refund_method IN ('card', 'wire', 'cash')),
    refund_reference  TEXT,
    -- The card refund's payment attempt, written before the processor is
    -- called: its id is the idempotency key of every retry.
    refund_attempt_id TEXT,
    requested_by      TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE INDEX returns_by_order ON returns (order_id, created_at);
CREATE INDEX returns_by_status ON returns (status, created_at);

-- The order's lines (by line number) and how many of each come back.
CREATE TABLE return_lines (
    return_id TEXT NOT NULL REFERENCES returns (id),
    line_no   BIGINT NOT NULL,
    quantity  BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (return_id, line_no)
);
