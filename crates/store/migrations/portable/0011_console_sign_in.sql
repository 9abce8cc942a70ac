-- Staff sign-in to the Client Relations console (issue 10): a password
-- (Argon2id) and a time-based one-time code (RFC 6238) per member, set up
-- through a one-time link; console sessions kept server-side.

-- The member's Argon2id hash (PHC string) and TOTP secret (base32), both NULL
-- until the member has followed their setup link. `totp_last_step` is the
-- last 30-second step whose code was accepted: a code works once.
ALTER TABLE staff ADD COLUMN password_hash TEXT;
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT;
ALTER TABLE staff ADD COLUMN enrolled_at BIGINT;

-- One-time setup links, kept only as the SHA-256 of the token shown once.
-- The TOTP secret the link's page offers is chosen with the link, so the
-- page shows the same QR code however often it is opened.
CREATE TABLE staff_setup_tokens (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    totp_secret TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE INDEX staff_setup_tokens_by_member ON staff_setup_tokens (staff_id);

-- A signed-in console browser, by the SHA-256 of its cookie's value: idle
-- after 30 minutes without a request (last_seen_at), over 8 hours after
-- sign-in (created_at), whatever the activity.
CREATE TABLE console_sessions (
    token_hash   TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE INDEX console_sessions_by_member ON console_sessions (staff_id);
