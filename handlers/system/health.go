package system

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/webhookd/webhookd/gen"
)

// healthTimeout is how long /healthz waits for the database: probes commonly give up at 3 s.
const healthTimeout = 2 * time.Second

// Health answers the liveness probe.
type Health struct {
	conn *sql.DB
}

// NewHealth probes conn.
func NewHealth(conn *sql.DB) Health { return Health{conn: conn} }

// GetHealth reports 503 when the database does not answer within healthTimeout.
func (h Health) GetHealth(ctx context.Context, _ gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	p := pingerFor(h.conn).start()
	select {
	case <-p.done:
		if p.err == nil {
			return gen.GetHealth200JSONResponse{Status: "ok"}, nil
		}
	case <-ctx.Done():
	}
	return gen.GetHealth503JSONResponse{Status: "unavailable"}, nil
}

// pingers holds one pinger per pool.
var pingers sync.Map // *sql.DB -> *pinger

func pingerFor(conn *sql.DB) *pinger {
	p, _ := pingers.LoadOrStore(conn, &pinger{conn: conn})
	return p.(*pinger)
}

// pinger runs at most one ping at a time and shares it with every probe that arrives while it
// runs. The driver may ignore a context while a frozen server holds its socket, so probes wait
// on the ping's channel, not in the call, and a hung ping is not joined by one more per probe.
type pinger struct {
	conn *sql.DB

	mu   sync.Mutex
	last *ping
}

type ping struct {
	done chan struct{} // closed once err is set
	err  error
}

func (p *pinger) start() *ping {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != nil {
		select {
		case <-p.last.done:
		default:
			return p.last
		}
	}
	cur := &ping{done: make(chan struct{})}
	p.last = cur
	go func() {
		// Detached from the probe: its outcome also serves the probes that arrive meanwhile.
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
		defer cancel()
		cur.err = p.conn.PingContext(ctx)
		close(cur.done)
	}()
	return cur
}
