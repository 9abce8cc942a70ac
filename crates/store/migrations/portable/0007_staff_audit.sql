-- Staff members, their API tokens and the audit log (issue 9).

CREATE TABLE staff (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    -- Lower-cased, trimmed: one member per address.
    email_key   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('ambassador', 'prestige_advisor', 'fulfilment', 'admin')),
    -- Set when the member is disabled: their tokens stop working at once.
    disabled_at BIGINT,
    created_at  BIGINT NOT NULL
);

-- API tokens, kept only as the SHA-256 of the token shown once.
CREATE TABLE staff_tokens (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);

CREATE INDEX staff_tokens_by_member ON staff_tokens (staff_id);

-- Append-only: written in the transaction of the change it records.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('guest', 'client', 'staff', 'system')),
    actor_email TEXT,
    actor_role  TEXT,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL
);

CREATE INDEX audit_events_by_subject ON audit_events (subject, at, id);
CREATE INDEX audit_events_by_time ON audit_events (at, id);
