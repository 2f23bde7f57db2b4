package sqlitestore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans checks that the queries every APPEND runs use an index:
// a full scan there makes delivery slow down with the mailbox's size.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := openDB(ctx, filepath.Join(dir, "mail.db"), accountMigrations)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for _, tt := range []struct {
		query string
		args  []any
	}{
		{threadQuery, []any{"<a@b>"}},
	} {
		rows, err := d.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "SCAN") || !strings.Contains(p, "USING INDEX") {
			t.Errorf("%s\nplan: %s; want an index search, no scan", tt.query, p)
		}
	}
}
