package inspector

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/frontdoor"
)

// Path is where the inspector receives webhooks.
const Path = "/inspector/v1/requests"

// Inspector is a built-in webhook receiver that shows deliveries as they arrive. It keeps the
// latest requests in memory, not in PostgreSQL: it is a way to see a delivery, not a record of
// one (the deliveries table is), so losing them on restart costs nothing, and fixed bounds on
// their number and bytes keep an endpoint that anyone may POST to from growing anything.
type Inspector struct {
	box *inspectorBox // nil: the inspector is off
}

const (
	// maxBodyBytes is what the inspector takes: whole deliveries (an event of up to 1 MiB in its
	// envelope).
	maxBodyBytes = 2 << 20
	// keep and keepBytes bound what is kept: the latest 100 requests, fewer when their bodies
	// add up to more than keepBytes.
	keep      = 100
	keepBytes = 16 << 20
)

type inspectorBox struct {
	mu        sync.Mutex
	reqs      []gen.InspectedRequest // oldest first
	bodyBytes int
}

// New returns the inspector, turned off unless on.
func New(on bool) Inspector {
	if !on {
		return Inspector{}
	}
	return Inspector{box: &inspectorBox{}}
}

func inspectorOff() gen.InspectorOffJSONResponse {
	return gen.InspectorOffJSONResponse{Code: "not_found", Message: "the inspector is off; set WEBHOOKS_INSPECTOR=on to turn it on"}
}

// InspectorReceive records the request as it arrived.
func (i Inspector) InspectorReceive(ctx context.Context, _ gen.InspectorReceiveRequestObject) (gen.InspectorReceiveResponseObject, error) {
	if i.box == nil {
		return gen.InspectorReceive404JSONResponse{InspectorOffJSONResponse: inspectorOff()}, nil
	}
	rec, _ := ctx.Value(capturedKey{}).(gen.InspectedRequest)
	i.box.add(rec)
	return gen.InspectorReceive204Response{}, nil
}

// InspectorListRequests lists what the inspector received, newest first.
func (i Inspector) InspectorListRequests(context.Context, gen.InspectorListRequestsRequestObject) (gen.InspectorListRequestsResponseObject, error) {
	if i.box == nil {
		return gen.InspectorListRequests404JSONResponse{InspectorOffJSONResponse: inspectorOff()}, nil
	}
	i.box.mu.Lock()
	defer i.box.mu.Unlock()
	list := gen.InspectedRequestList{Results: make([]gen.InspectedRequest, 0, len(i.box.reqs))}
	for n := len(i.box.reqs) - 1; n >= 0; n-- {
		list.Results = append(list.Results, i.box.reqs[n])
	}
	return gen.InspectorListRequests200JSONResponse(list), nil
}

// add keeps rec, dropping the oldest requests beyond the bounds.
func (b *inspectorBox) add(rec gen.InspectedRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reqs = append(b.reqs, rec)
	b.bodyBytes += len(rec.Body)
	drop := 0
	for len(b.reqs)-drop > keep || b.bodyBytes > keepBytes {
		b.bodyBytes -= len(b.reqs[drop].Body)
		drop++
	}
	b.reqs = append(b.reqs[:0], b.reqs[drop:]...)
}

type capturedKey struct{}

// Capture keeps the inspector's requests as they arrived (headers and exact body bytes, which a
// signature is computed over) before validation and decoding see them.
func (i Inspector) Capture(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if i.box == nil || req.Method != http.MethodPost || req.URL.Path != Path {
			return next(c)
		}
		body, err := frontdoor.ReadBody(c.Response().Writer, req, maxBodyBytes)
		switch {
		case errors.Is(err, frontdoor.ErrBodyTooLarge):
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		case err != nil:
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		frontdoor.ReplaceBody(req, body)
		rec := gen.InspectedRequest{
			ReceivedAt: time.Now().UTC(), Method: req.Method, Path: req.URL.RequestURI(),
			Headers: map[string][]string(req.Header.Clone()), Body: string(body),
		}
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), capturedKey{}, rec)))
		return next(c)
	}
}
