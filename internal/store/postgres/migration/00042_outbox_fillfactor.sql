-- +goose Up

-- An outbox entry is inserted with its request and updated once or twice
-- after (its outcome; an attempt counted apart). None of those updates
-- changes an indexed column, so each could be a HOT update, but entries
-- are inserted a batch at a time into full pages: in a bench of sends only
-- one update in ten found room on its page, and the others wrote a new
-- entry into each of the table's three indexes. Half of each page is now
-- kept free for the new versions of its rows, as for messages (00040).
-- Pages written from now on; older ones as they are rewritten.
ALTER TABLE outbox SET (fillfactor = 50);

-- +goose Down
ALTER TABLE outbox RESET (fillfactor);
