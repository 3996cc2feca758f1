package dbconn_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/webhookd/webhookd/internal/dbconn"
)

// A listening connection is silent for as long as nothing happens: unlike the pool's, it must
// not be dropped for want of bytes.
func TestAListenerOutlivesSilence(t *testing.T) {
	events := make(chan pq.ListenerEventType, 10)
	l := pq.NewDialListener(dbconn.ListenDialer(fast), cluster.URL("postgres"), 10*time.Millisecond, time.Second,
		func(ev pq.ListenerEventType, _ error) { events <- ev })
	defer l.Close()
	if err := l.Listen("silence"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(fast.IOTimeout() + 500*time.Millisecond) // longer than the pool allows
	conn, err := dbconn.Open(cluster.URL("postgres"), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`SELECT pg_notify('silence', 'after')`); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-l.NotificationChannel():
		if n == nil || n.Extra != "after" {
			t.Fatalf("notification %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after a silence")
	}
	for {
		select {
		case ev := <-events:
			if ev != pq.ListenerEventConnected {
				t.Errorf("listener event %d: the connection was lost during the silence", ev)
			}
		default:
			return
		}
	}
}

func TestListenDSNNamesTheSession(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:p@127.0.0.1:5432/db?sslmode=disable&application_name=other",
		"host=127.0.0.1 port=5432 dbname=db application_name=other",
	} {
		got, err := dbconn.ListenDSN(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if !strings.HasSuffix(got, " application_name="+dbconn.ListenApplicationName) || !strings.Contains(got, "dbname=") {
			t.Errorf("%s: %s", dsn, got)
		}
	}
	if _, err := dbconn.ListenDSN("postgres://u:p@[::1"); err == nil {
		t.Error("a malformed URL was accepted")
	}
}
