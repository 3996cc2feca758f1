// Package frontdoor admits every request before a handler runs: it routes the request to an
// operation of openapi.yaml, authenticates the caller with the security scheme's owner, reads
// and checks the body within the dialect's limit, validates parameters and body, and renders
// every error that arises outside a handler in the documented body of the dialect that was
// called. It knows no vendor: dialects join it through kit.API.
package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/handlers/kit"
)

// Options tune a FrontDoor.
type Options struct {
	Logger *slog.Logger
	// RequestTimeout bounds the work of one request, database waits included.
	RequestTimeout time.Duration
	// ChecksOff leaves out everything beyond routing and authentication; only a benchmark sets
	// it, to measure what validation costs.
	ChecksOff bool
}

// FrontDoor is the shared entrance of every dialect.
type FrontDoor struct {
	operations operationTable
	validator  *validator
	errors     errorRenderer
	timeout    time.Duration
}

// New prepares the front door for spec and the dialects in apis, the first of which words the
// errors of paths that belong to no dialect. It fails when an operation or a security scheme of
// the spec has no owner among apis, or when two dialects claim the same one.
func New(spec *openapi3.T, apis []kit.API, opts Options) (*FrontDoor, error) {
	if opts.Logger == nil || opts.RequestTimeout <= 0 {
		return nil, errors.New("frontdoor: a logger and a positive request timeout are required")
	}
	// kin-openapi caches compiled patterns process-wide by their text: compiling every pattern
	// of the spec here makes all validation in the process use ECMA-262 semantics.
	if err := spec.Validate(context.Background(), openapi3.SetRegexCompiler(compileECMAPattern)); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	reg := registry(apis)
	if err := reg.owns(spec); err != nil {
		return nil, err
	}
	errs := errorRenderer{log: opts.Logger, apis: reg}
	operations := newOperationTable(spec)
	v := newValidator(operations, newAuthenticator(reg), errs)
	v.checksOff = opts.ChecksOff
	return &FrontDoor{operations: operations, validator: v, errors: errs, timeout: opts.RequestTimeout}, nil
}

// Admit is the middleware that lets a request reach its handler only once it is routed,
// authenticated and valid.
func (f *FrontDoor) Admit(next echo.HandlerFunc) echo.HandlerFunc {
	return f.validator.middleware(next)
}

// HTTPErrorHandler renders errors returned by handlers and by Echo itself in the dialect's body.
func (f *FrontDoor) HTTPErrorHandler(err error, c echo.Context) { f.errors.HTTPErrorHandler(err, c) }

// OperationID names the operation Echo routed c to, as openapi.yaml spells its operationId.
func (f *FrontDoor) OperationID(c echo.Context) (string, bool) {
	op, ok := f.operations.routed(c)
	if !ok {
		return "", false
	}
	return op.id, true
}

// owns checks that every operation and security scheme of spec has exactly one owner.
func (r registry) owns(spec *openapi3.T) error {
	if len(r) == 0 {
		return errors.New("frontdoor: no dialects")
	}
	names := map[kit.Dialect]bool{}
	schemes := map[string]kit.Dialect{}
	for _, api := range r {
		if names[api.Name] {
			return fmt.Errorf("frontdoor: two dialects are named %q", api.Name)
		}
		names[api.Name] = true
		if api.Invalid == nil || api.Unauthorized == nil || api.Failure == nil {
			return fmt.Errorf("frontdoor: dialect %q does not word its errors", api.Name)
		}
		for name := range api.Schemes {
			if other, taken := schemes[name]; taken {
				return fmt.Errorf("frontdoor: security scheme %q is claimed by %q and %q", name, other, api.Name)
			}
			if spec.Components == nil || spec.Components.SecuritySchemes[name] == nil {
				return fmt.Errorf("frontdoor: dialect %q authenticates %q, which openapi.yaml does not define", api.Name, name)
			}
			schemes[name] = api.Name
		}
	}
	if spec.Components != nil {
		for name := range spec.Components.SecuritySchemes {
			if _, ok := schemes[name]; !ok {
				return fmt.Errorf("frontdoor: security scheme %q has no owner", name)
			}
		}
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Tags) != 1 || !names[kit.Dialect(op.Tags[0])] {
				return fmt.Errorf("frontdoor: %s %s (tags %v) has no owner among %v", method, path, op.Tags, slices.Sorted(maps.Keys(names)))
			}
		}
	}
	return nil
}

// ErrorHandler renders errors in the words of apis (the first for paths none claims), for a
// server that routes only some operations of the spec by hand and so has no FrontDoor.
func ErrorHandler(log *slog.Logger, apis ...kit.API) echo.HTTPErrorHandler {
	return errorRenderer{log: log, apis: registry(apis)}.HTTPErrorHandler
}
