// Package handlers assembles the service's HTTP API: the front door, and behind it one room per
// dialect implementing its part of the generated strict server. A new vendor is a folder of its
// own, a field of Server and its entry in New.
package handlers

import (
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/admin"
	"github.com/webhookd/webhookd/handlers/arkyn"
	"github.com/webhookd/webhookd/handlers/bird"
	"github.com/webhookd/webhookd/handlers/console"
	"github.com/webhookd/webhookd/handlers/docs"
	"github.com/webhookd/webhookd/handlers/frontdoor"
	"github.com/webhookd/webhookd/handlers/ingest"
	"github.com/webhookd/webhookd/handlers/inspector"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/handlers/shipping"
	"github.com/webhookd/webhookd/handlers/superoffice"
	"github.com/webhookd/webhookd/handlers/system"
	"github.com/webhookd/webhookd/handlers/voucherify"
	"github.com/webhookd/webhookd/internal/egress"
)

// RequestTimeout bounds the work of one request, database waits included. It outlasts the
// 10 s a SuperOffice POST /Test may wait for the target, so that call can report its outcome.
const RequestTimeout = 15 * time.Second

// Config is what the HTTP API needs from its host.
type Config struct {
	DB *sql.DB
	// AdminToken guards /admin; it must not be empty.
	AdminToken string
	Logger     *slog.Logger
	// ShippingRateLimit is each Shipping API key's budget; zero means the vendor's 100 an hour.
	ShippingRateLimit shipping.RateLimit
	// Egress is where webhooks may point: public addresses and the ones it allows (the
	// operator's ranges, the built-in inspector).
	Egress egress.Policy
	// TargetTransport carries calls to webhook targets (SuperOffice's POST /Test); nil means
	// Egress's transport.
	TargetTransport http.RoundTripper
	// RequestTimeout bounds each request's work; zero means RequestTimeout.
	RequestTimeout time.Duration
	Operator
	// checksOff leaves out everything validation does beyond routing and authentication; only
	// a benchmark sets it (export_test.go), to measure what validation costs.
	checksOff bool
}

// Operator is the part of Config that serves the people running the service.
type Operator struct {
	// Registry collects /metrics; nil means a registry of the API's own. The host registers its
	// delivery engine and runtime collectors with the same one.
	Registry *prometheus.Registry
	// Inspector turns on the built-in webhook receiver (inspector.Path).
	Inspector bool
}

// Server answers every operation of openapi.yaml, one room per dialect.
type Server struct {
	system.Health
	system.Metrics
	docs.Docs
	console.Console
	admin.Admin
	ingest.Ingest
	inspector.Inspector
	voucherify.Voucherify
	bird.Bird
	superoffice.SuperOffice
	shipping.Shipping
	arkyn.Arkyn
}

var _ gen.StrictServerInterface = (*Server)(nil)

// New assembles the API: request ids, logging, panic recovery, the front door and the
// generated strict server.
func New(cfg Config) (*echo.Echo, error) {
	if cfg.AdminToken == "" {
		return nil, errors.New("handlers: an admin token is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = RequestTimeout
	}
	targets := cfg.TargetTransport
	if targets == nil {
		targets = cfg.Egress.Transport(nil)
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	st := kit.NewStore(cfg.DB, kit.NewTargetPolicy(cfg.Egress))
	var err error
	if st.Audit, err = kit.NewAuditor(log, reg); err != nil {
		return nil, err
	}
	s := &Server{
		Health:      system.NewHealth(cfg.DB),
		Inspector:   inspector.New(cfg.Inspector),
		Voucherify:  voucherify.Voucherify{Store: st},
		Bird:        bird.Bird{Store: st},
		SuperOffice: superoffice.New(st, targets),
		Shipping:    shipping.New(st, cfg.ShippingRateLimit),
		Arkyn:       arkyn.Arkyn{Store: st},
	}
	// The first words the errors of paths that belong to no dialect.
	apis := []kit.API{
		system.API(), admin.API(cfg.AdminToken, st.Q), ingest.API(st.Credentials), inspector.API(),
		s.Voucherify.API(), s.Bird.API(), s.SuperOffice.API(), s.Shipping.API(), s.Arkyn.API(),
	}
	s.Admin = admin.Admin{Store: st, APIs: apis}
	s.Ingest = ingest.Ingest{Store: st, APIs: apis}

	spec, err := gen.GetSpec()
	if err != nil {
		return nil, err
	}
	door, err := frontdoor.New(spec, apis, frontdoor.Options{Logger: log, RequestTimeout: timeout, ChecksOff: cfg.checksOff})
	if err != nil {
		return nil, err
	}
	if s.Docs, err = docs.New(); err != nil {
		return nil, err
	}
	var countRequests echo.MiddlewareFunc
	if s.Metrics, countRequests, err = system.NewMetrics(reg, door.OperationID, st, log); err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = door.HTTPErrorHandler
	e.Pre(frontdoor.DropUnsafeRequestID)
	e.Use(
		countRequests, // first: it sees the status the client got
		frontdoor.RequestID(),
		frontdoor.RequestLogger(log),
		middleware.Recover(),
		door.Deadline,
		s.Inspector.Capture, // the exact bytes, before the front door decodes anything
		door.Admit,
	)
	gen.RegisterHandlers(e, gen.NewStrictHandler(s, nil))
	return e, nil
}
