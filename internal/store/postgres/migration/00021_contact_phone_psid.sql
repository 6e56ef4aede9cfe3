-- +goose Up

-- Inbound WhatsApp and Messenger messages find their sender's contact by
-- phone (E.164) and by page-scoped ID. Neither is unique per tenant (an
-- import may give two contacts one phone); a look-up returns the oldest,
-- so the index carries the order too.
CREATE INDEX contacts_phone_idx ON contacts (tenant_id, phone, created_at, id) WHERE phone IS NOT NULL;
CREATE INDEX contacts_messenger_psid_idx ON contacts (tenant_id, messenger_psid, created_at, id) WHERE messenger_psid IS NOT NULL;

-- +goose Down
DROP INDEX contacts_messenger_psid_idx;
DROP INDEX contacts_phone_idx;
