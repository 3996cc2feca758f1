package dbconn_test

import (
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
