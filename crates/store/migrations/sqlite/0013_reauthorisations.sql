-- A changed order's new total is authorised again from the card's token
-- (issue 10): `reauthorise` joins the operations. SQLite cannot alter a CHECK,
-- so the table is rebuilt with the same columns and indexes.
CREATE TABLE payment_attempts_new (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    operation      TEXT NOT NULL CHECK (operation IN ('authorise', 'reauthorise', 'capture', 'void', 'refund')),
    amount_minor   BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'in_doubt', 'succeeded', 'declined', 'failed')),
    processor      TEXT NOT NULL,
    processor_ref  TEXT,
    decline_code   TEXT,
    claimed_until  BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

INSERT INTO payment_attempts_new (id, order_id, operation, amount_minor, status, processor,
    processor_ref, decline_code, claimed_until, created_at, updated_at)
SELECT id, order_id, operation, amount_minor, status, processor, processor_ref, decline_code,
    claimed_until, created_at, updated_at FROM payment_attempts;

DROP TABLE payment_attempts;
ALTER TABLE payment_attempts_new RENAME TO payment_attempts;

CREATE INDEX payment_attempts_unresolved ON payment_attempts (status, created_at);
CREATE UNIQUE INDEX one_authorisation_per_order ON payment_attempts (order_id) WHERE operation = 'authorise';
