-- Bags, orders, payments, idempotency and the outbox (issue 3).

CREATE TABLE bags (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE bag_lines (
    id                   TEXT PRIMARY KEY,
    bag_id               TEXT NOT NULL REFERENCES bags (id) ON DELETE CASCADE,
    sku                  TEXT NOT NULL,
    product_sku          TEXT NOT NULL,
    quantity             BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_minor     BIGINT NOT NULL CHECK (unit_price_minor > 0),
    personalisation_kind TEXT CHECK (personalisation_kind IN ('engraving', 'embossing')),
    personalisation_text TEXT,
    added_at             BIGINT NOT NULL
);

CREATE INDEX bag_lines_by_bag ON bag_lines (bag_id, added_at);

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL CHECK (status IN ('pending_payment', 'payment_failed', 'placed',
                         'confirmed', 'processing', 'shipped', 'delivered', 'ready_for_pickup',
                         'collected', 'cancelled')),
    channel            TEXT NOT NULL CHECK (channel IN ('online', 'assisted')),
    email              TEXT NOT NULL,
    first_name         TEXT NOT NULL,
    last_name          TEXT NOT NULL,
    phone              TEXT NOT NULL,
    delivery_method    TEXT NOT NULL CHECK (delivery_method IN ('home', 'workplace', 'boutique')),
    line1              TEXT,
    line2              TEXT,
    city               TEXT,
    region             TEXT,
    postal_code        TEXT,
    country            TEXT,
    company            TEXT,
    boutique_id        TEXT,
    carrier            TEXT NOT NULL CHECK (carrier IN ('fedex', 'secure_courier', 'boutique')),
    estimate_min_days  BIGINT,
    estimate_max_days  BIGINT,
    subtotal_minor     BIGINT NOT NULL,
    total_minor        BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    payment_method     TEXT NOT NULL CHECK (payment_method IN ('card', 'cash', 'wire')),
    card_brand         TEXT,
    card_last4         TEXT,
    card_exp_month     BIGINT,
    card_exp_year      BIGINT,
    cardholder_name    TEXT,
    card_token         TEXT,
    final_sale_accepted BIGINT NOT NULL CHECK (final_sale_accepted IN (0, 1)),
    bag_id             TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE INDEX orders_by_status ON orders (status, updated_at);

CREATE TABLE order_lines (
    order_id             TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no              BIGINT NOT NULL,
    sku                  TEXT NOT NULL,
    product_sku          TEXT NOT NULL,
    name                 TEXT NOT NULL,
    size                 TEXT,
    quantity             BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_minor     BIGINT NOT NULL,
    personalisation_kind TEXT,
    personalisation_text TEXT,
    final_sale           BIGINT NOT NULL CHECK (final_sale IN (0, 1)),
    PRIMARY KEY (order_id, line_no)
);

-- The timeline: every transition, who made it, when and why.
CREATE TABLE order_events (
    order_id  TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    status    TEXT NOT NULL,
    note      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);

-- One row per operation sent to a processor, written before the call; its id
-- is the processor's idempotency key.
CREATE TABLE payment_attempts (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    operation      TEXT NOT NULL CHECK (operation IN ('authorise', 'capture', 'void', 'refund')),
    amount_minor   BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'in_doubt', 'succeeded', 'declined', 'failed')),
    processor      TEXT NOT NULL,
    processor_ref  TEXT,
    decline_code   TEXT,
    claimed_until  BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX payment_attempts_unresolved ON payment_attempts (status, created_at);
CREATE UNIQUE INDEX one_authorisation_per_order ON payment_attempts (order_id) WHERE operation = 'authorise';

CREATE TABLE idempotency_keys (
    scope           TEXT NOT NULL,
    key             TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
    order_id        TEXT,
    response_status BIGINT,
    response_body   TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    order_id         TEXT,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
