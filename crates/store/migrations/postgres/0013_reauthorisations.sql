-- A changed order's new total is authorised again from the card's token
-- (issue 10): `reauthorise` joins the operations.
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_operation_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_operation_check
    CHECK (operation IN ('authorise', 'reauthorise', 'capture', 'void', 'refund'));
