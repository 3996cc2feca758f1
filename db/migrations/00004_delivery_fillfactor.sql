-- +goose Up

-- A delivery row is updated twice per attempt (claimed, then finished). Room left on each page
-- lets the claim's update (lease columns, none indexed) stay on its page as a heap-only tuple
-- instead of adding an entry to every index of the table.
ALTER TABLE deliveries SET (fillfactor = 70);

-- +goose Down
ALTER TABLE deliveries RESET (fillfactor);
