-- Secrets every instance must share (the key that signs order links), created
-- once by the first instance that needs them.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
