-- The API key that sent an event (POST /events), so it cannot approve what it asked for.
ALTER TABLE events ADD COLUMN requested_by uuid;
