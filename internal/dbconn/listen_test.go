package dbconn

import (
	"strings"
	"testing"
)

func TestListenDSNNamesTheSession(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:p@127.0.0.1:5432/db?sslmode=disable&application_name=other",
		"host=127.0.0.1 port=5432 dbname=db application_name=other",
	} {
		got, err := ListenDSN(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if !strings.HasSuffix(got, " application_name="+ListenApplicationName) || !strings.Contains(got, "dbname=") {
			t.Errorf("%s: %s", dsn, got)
		}
	}
	if _, err := ListenDSN("postgres://u:p@[::1"); err == nil {
		t.Error("a malformed URL was accepted")
	}
}
