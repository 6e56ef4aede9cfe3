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

-- An entry's tenant was checked twice: by its execution's foreign key
-- (tenant_id, execution_id), whose execution carries the same tenant and
-- goes with it (tenants, workflows, executions cascade), and by a key to
-- tenants of its own, which looked the tenant up and took a key-share lock
-- of its row for every entry written, from every transaction writing
-- entries at once (as events did before 00035). The second goes; a
-- deleted tenant still takes its entries with it, through its executions.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_tenant_id_fkey;

-- +goose Down
ALTER TABLE outbox ADD CONSTRAINT outbox_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
ALTER TABLE outbox RESET (fillfactor);
