package handlers

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/webhookd/webhookd/handlers/arkyn"
	"github.com/webhookd/webhookd/handlers/bird"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/handlers/shipping"
	"github.com/webhookd/webhookd/handlers/superoffice"
	"github.com/webhookd/webhookd/handlers/voucherify"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/egress"
)

// Config is what the HTTP API needs from its host.
type Config struct {
	DB *sql.DB
	// AdminToken guards /admin; it must not be empty.
	AdminToken string
	Logger     *slog.Logger
	// ShippingRateLimit is each Shipping API key's budget; zero means the vendor's 100 an hour.
	ShippingRateLimit shipping.RateLimit
	// TargetTransport carries calls to webhook targets (SuperOffice's POST /Test); nil means
	// the egress policy's transport, which reaches only public addresses and the allowed ones.
	TargetTransport http.RoundTripper
	AllowedTargets  []netip.Prefix
	// AllowedExactTargets are single addresses (the built-in inspector) that webhooks may
	// target although they are loopback or private.
	AllowedExactTargets []netip.AddrPort
	Operator
	// checksOff leaves out everything validation does beyond routing and authentication; only
	// a benchmark sets it (export_test.go), to measure what validation costs.
	checksOff bool
}

// New assembles the API: request ids, logging, panic recovery, spec validation with
// per-dialect errors, and the generated strict server.
func New(cfg Config) (*echo.Echo, error) {
	if cfg.AdminToken == "" {
		return nil, errors.New("handlers: an admin token is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	RegisterBodyDecoders()
	spec, err := gen.GetSpec()
	if err != nil {
		return nil, err
	}
	// kin-openapi caches compiled patterns process-wide by their text: compiling every pattern
	// of the spec here makes all validation in the process use ECMA-262 semantics.
	if err := spec.Validate(context.Background(), openapi3.SetRegexCompiler(compileECMAPattern)); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	st := kit.NewStore(cfg.DB, kit.NewTargetPolicy(cfg.AllowedTargets, cfg.AllowedExactTargets))
	targets := cfg.TargetTransport
	if targets == nil {
		targets = egress.Policy{Allowed: cfg.AllowedTargets, Exact: cfg.AllowedExactTargets}.Transport(nil)
	}
	vouch := voucherify.Voucherify{Store: st}
	brd := bird.Bird{Store: st}
	superOffice := superoffice.New(st, targets)
	ship := shipping.New(st, cfg.ShippingRateLimit)
	ark := arkyn.Arkyn{Store: st}
	admin := adminAPI(kit.Digest(cfg.AdminToken))
	apis := registry{admin, ingestAPI(admin, st.Credentials), inspectorAPI(admin), vouch.API(), brd.API(), superOffice.API(), ship.API(), ark.API()}
	errs := errorRenderer{log: log, apis: apis}
	auth := newAuthenticator(apis)
	operations := newOperationTable(spec)
	v := newValidator(operations, auth, errs)
	v.checksOff = cfg.checksOff
	op, err := cfg.Operator.build(operations, st, log)
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errs.HTTPErrorHandler
	e.Pre(dropUnsafeRequestID)
	e.Use(
		op.countRequests,
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestID}),
		requestLogger(log),
		middleware.Recover(),
		requestDeadline,
		op.inspector.capture,
		v.middleware,
	)
	docs, err := newDocs()
	if err != nil {
		return nil, err
	}
	server := &Server{
		Docs:        docs,
		Health:      Health{conn: cfg.DB},
		Admin:       Admin{Store: st, apis: apis},
		Voucherify:  vouch,
		Bird:        brd,
		Arkyn:       ark,
		Shipping:    ship,
		Ingest:      Ingest{Store: st, apis: apis},
		SuperOffice: superOffice,
		Metrics:     op.metrics,
		Inspector:   op.inspector,
	}
	gen.RegisterHandlers(e, gen.NewStrictHandler(server, nil))
	return e, nil
}

// newRequestID returns ids shaped like Voucherify's ("v-" and 18 hex digits).
func newRequestID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return "v-" + hex.EncodeToString(b)
}

// requestLogger logs one line per request. Only the path is logged: headers and bodies carry
// credentials and signing keys.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, LogRequestID: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency.Round(time.Microsecond)), slog.String("request_id", v.RequestID))
			return nil
		},
	})
}

// dropUnsafeRequestID discards a caller's X-Request-Id that is long or holds characters other
// than [A-Za-z0-9._:-]; the id is echoed into logs and error bodies, so a fresh one is made.
func dropUnsafeRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !safeRequestID(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

func safeRequestID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}
