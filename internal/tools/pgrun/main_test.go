package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq"
)

// The command finds a server at DATABASE_URL, its exit status is pgrun's, and the server is
// gone once pgrun returns, though the command failed.
func TestRunsTheCommandAgainstItsOwnClusterAndStopsIt(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	out := filepath.Join(t.TempDir(), "url")
	t.Setenv("PGRUN_CHILD_OUT", out)
	if status := run([]string{os.Args[0], "-test.run=^TestChild$"}, 20, 0); status != 3 {
		t.Fatalf("pgrun returned %d, want the command's 3", status)
	}
	url, err := os.ReadFile(out)
	if err != nil || len(url) == 0 {
		t.Fatalf("the command saw no DATABASE_URL (%v)", err)
	}
	conn, err := sql.Open("postgres", string(url)+"&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Ping(); err == nil {
		t.Errorf("the cluster at %s still answers after pgrun returned", url)
	}
}

// With DATABASE_URL set, the command gets it unchanged and no cluster is started.
func TestKeepsAGivenDatabaseURL(t *testing.T) {
	const given = "postgres://127.0.0.1:1/elsewhere?sslmode=disable"
	t.Setenv("DATABASE_URL", given)
	out := filepath.Join(t.TempDir(), "url")
	t.Setenv("PGRUN_CHILD_OUT", out)
	t.Setenv("PGRUN_CHILD_NO_PING", "1")
	if status := run([]string{os.Args[0], "-test.run=^TestChild$"}, 20, 0); status != 3 {
		t.Fatalf("pgrun returned %d, want 3", status)
	}
	if url, _ := os.ReadFile(out); string(url) != given {
		t.Errorf("the command saw DATABASE_URL %q, want %q", url, given)
	}
}

// TestChild is the command that the tests above run: it records DATABASE_URL, checks that the
// server answers, and exits 3.
func TestChild(t *testing.T) {
	out := os.Getenv("PGRUN_CHILD_OUT")
	if out == "" {
		t.Skip("run by the tests above")
	}
	url := os.Getenv("DATABASE_URL")
	if err := os.WriteFile(out, []byte(url), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("PGRUN_CHILD_NO_PING") == "" {
		conn, err := sql.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Ping(); err != nil {
			t.Fatalf("DATABASE_URL %s does not answer: %v", url, err)
		}
	}
	os.Exit(3)
}
