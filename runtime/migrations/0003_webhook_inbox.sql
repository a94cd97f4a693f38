-- Webhook deliveries: the sender's own event name, the registry version that read it, and
-- runs (a forced replay starts a fresh graph thread). Ignored and rejected deliveries may
-- have no canonical type or entity.
ALTER TABLE events ADD COLUMN source_event text;
ALTER TABLE events ADD COLUMN registry_version integer;
ALTER TABLE events ADD COLUMN run integer NOT NULL DEFAULT 1;
ALTER TABLE events ALTER COLUMN type DROP NOT NULL;
ALTER TABLE events ALTER COLUMN entity DROP NOT NULL;
