package delivery

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/webhookd/webhookd/internal/dbconn"
)

// listener turns notifications of new deliveries into wake-ups. Each names its account: a
// notification arrives once the writer's transaction is done everywhere, whereas on Citus the
// wake-up it wrote may have been seen, and taken for nothing, a moment before its deliveries on
// a worker were. So the engine hands in a wake-up of the account planned on the poll grid:
// every instance notified hands in the same one, merged into one row, and one claim a poll
// later finds what such a wake-up left behind (or nothing). lib/pq's Listener reconnects
// on its own after the database restarts or its connection dies; the engine keeps polling
// meanwhile, and a reconnect wakes it, since notifications may have been missed.
type listener struct {
	l    *pq.Listener
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	// pinging is set while a ping is out: one on a frozen server waits for TCP to give up.
	pinging atomic.Bool
}

// listenSettings are the pool's defaults without an IO deadline: a listening connection is
// silent until something happens. TCP keep-alive and the user timeout still end a dead one.
var listenSettings = func() dbconn.Settings {
	s := dbconn.Defaults
	s.IOMargin = 0
	return s
}()

func (e *Engine) listen(dsn string) *listener {
	l := &listener{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if named, err := dbconn.ListenDSN(dsn); err == nil {
		dsn = named
	} else {
		e.log.Warn("the listening session keeps the default application_name", "error", err)
	}
	l.l = pq.NewDialListener(dbconn.ListenDialer(listenSettings), dsn, 100*time.Millisecond, 10*time.Second,
		func(ev pq.ListenerEventType, err error) {
			switch ev {
			case pq.ListenerEventConnected, pq.ListenerEventReconnected:
				l.signal() // notifications may have been missed while not connected
			case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
				e.log.Warn("delivery notifications interrupted; polling", "error", err)
			}
		})
	// Listen waits for a connection; until there is one the engine polls.
	go func() {
		if err := l.l.Listen(NotifyChannel); err != nil && !errors.Is(err, net.ErrClosed) {
			e.log.Warn("listening for deliveries; polling instead", "error", err)
		}
	}()
	go l.forward(e.cfg.PollInterval*20, func(account uuid.UUID) {
		e.wakes.add(account, e.aPollLater(e.now()), true)
	})
	return l
}

// forward wakes the engine on every notification, handing in the account it names, and pings
// the connection now and then, so that a connection that died silently is noticed and replaced.
func (l *listener) forward(pingEvery time.Duration, wake func(account uuid.UUID)) {
	defer close(l.done)
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-l.stop:
			return
		case n := <-l.l.NotificationChannel():
			// nil after a reconnect, which the event callback has signalled
			if n != nil {
				if account, err := uuid.Parse(n.Extra); err == nil {
					wake(account)
				}
			}
			l.signal()
		case <-ping.C:
			if l.pinging.CompareAndSwap(false, true) {
				go func() { defer l.pinging.Store(false); _ = l.l.Ping() }()
			}
		}
	}
}

func (l *listener) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *listener) close() {
	close(l.stop)
	<-l.done
	// Close waits for a ping in progress, which on a frozen server lasts until TCP gives up;
	// shutting down need not wait for that.
	go func() { _ = l.l.Close() }()
}
