-- Fulfilment (issue 11): shipments with carriers and their tracking events,
-- and hand-overs at boutiques.

-- One shipment per order at a time (a cancelled one makes way for another).
-- A row is written, `requested`, before the carrier is asked; it gets its
-- tracking number and `label_created` with the move to shipped.
CREATE TABLE shipments (
    id                   TEXT PRIMARY KEY,
    order_id             TEXT NOT NULL REFERENCES orders (id),
    carrier              TEXT NOT NULL CHECK (carrier IN ('fedex', 'secure_courier')),
    tracking_number      TEXT,
    declared_value_minor BIGINT NOT NULL CHECK (declared_value_minor > 0),
    signature_required   BIGINT NOT NULL CHECK (signature_required IN (0, 1)),
    status               TEXT NOT NULL CHECK (status IN ('requested', 'label_created',
                           'appointment_confirmed', 'picked_up', 'in_transit', 'out_for_delivery',
                           'delivered', 'exception', 'cancelled')),
    appointment_date     TEXT,
    created_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE UNIQUE INDEX one_live_shipment_per_order ON shipments (order_id) WHERE status <> 'cancelled';
-- NULLs are distinct on both databases: requested shipments have none yet.
CREATE UNIQUE INDEX shipments_by_tracking ON shipments (carrier, tracking_number);

-- Every tracking event applied, once: a carrier's event id is unique per
-- carrier, and the insert decides whether a delivery is a duplicate.
CREATE TABLE carrier_events (
    carrier          TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    shipment_id      TEXT NOT NULL REFERENCES shipments (id),
    kind             TEXT NOT NULL,
    occurred_at      BIGINT NOT NULL,
    appointment_date TEXT,
    detail           TEXT,
    received_at      BIGINT NOT NULL,
    PRIMARY KEY (carrier, event_id)
);

CREATE INDEX carrier_events_by_shipment ON carrier_events (shipment_id, received_at);

-- Boutique orders: when the creations arrived at the boutique, and who
-- collected them against which identity check.
CREATE TABLE pickups (
    order_id      TEXT PRIMARY KEY REFERENCES orders (id),
    boutique_id   TEXT NOT NULL,
    ready_at      BIGINT NOT NULL,
    ready_by      TEXT NOT NULL,
    collected_at  BIGINT,
    collected_by  TEXT,
    handed_over_by TEXT
);
