-- The catalogue and the boutique directory (issue 2).
-- Portable conventions: money as BIGINT cents, flags as 0/1 BIGINT with CHECK,
-- times as BIGINT microseconds UTC from the application's clock.

CREATE TABLE categories (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    BIGINT NOT NULL
);

CREATE TABLE collections (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    BIGINT NOT NULL
);

CREATE TABLE products (
    sku                 TEXT PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    category            TEXT NOT NULL REFERENCES categories (slug),
    collection          TEXT REFERENCES collections (slug),
    description         TEXT NOT NULL,
    materials           TEXT NOT NULL,
    sale_mode           TEXT NOT NULL CHECK (sale_mode IN ('online', 'phone_only', 'price_on_request')),
    price_minor         BIGINT,
    currency            TEXT NOT NULL DEFAULT 'USD',
    flagged_unavailable BIGINT NOT NULL DEFAULT 0 CHECK (flagged_unavailable IN (0, 1)),
    position            BIGINT NOT NULL,
    CHECK ((sale_mode = 'price_on_request' AND price_minor IS NULL)
        OR (sale_mode <> 'price_on_request' AND price_minor IS NOT NULL AND price_minor > 0))
);

CREATE INDEX products_by_category ON products (category, position);
CREATE INDEX products_by_collection ON products (collection, position);

CREATE TABLE variants (
    sku         TEXT PRIMARY KEY,
    product_sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    size        TEXT,
    position    BIGINT NOT NULL
);

CREATE INDEX variants_by_product ON variants (product_sku, position);

-- Quantity on hand per variant. Only ever changed by conditional UPDATEs
-- (quantity = quantity - n WHERE quantity >= n), never read-then-write.
CREATE TABLE stock_levels (
    sku      TEXT PRIMARY KEY REFERENCES variants (sku) ON DELETE CASCADE,
    on_hand  BIGINT NOT NULL CHECK (on_hand >= 0)
);

CREATE TABLE personalisation_options (
    product_sku     TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('engraving', 'embossing')),
    max_lines       BIGINT NOT NULL CHECK (max_lines BETWEEN 1 AND 10),
    max_characters  BIGINT NOT NULL CHECK (max_characters BETWEEN 1 AND 100),
    PRIMARY KEY (product_sku, kind)
);

CREATE TABLE boutiques (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    line1          TEXT NOT NULL,
    line2          TEXT,
    city           TEXT NOT NULL,
    region         TEXT NOT NULL,
    postal_code    TEXT NOT NULL,
    country        TEXT NOT NULL CHECK (country IN ('US', 'CA')),
    phone          TEXT NOT NULL,
    hours          TEXT NOT NULL,
    latitude       DOUBLE PRECISION NOT NULL,
    longitude      DOUBLE PRECISION NOT NULL,
    accepts_pickup BIGINT NOT NULL CHECK (accepts_pickup IN (0, 1)),
    position       BIGINT NOT NULL
);

-- Bumped in the same transaction as every change to what the catalogue shows,
-- so that every instance can notice a change with one cheap read.
CREATE TABLE catalog_revision (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);

INSERT INTO catalog_revision (id, revision) VALUES (1, 0);
