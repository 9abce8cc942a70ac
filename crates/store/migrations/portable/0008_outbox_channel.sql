-- A letter is queued once with its channel (issue 9): e-mail now, fax with the
-- console; a sender per channel delivers it.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'fax'));
