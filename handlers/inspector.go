package handlers

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/gen"
)

// InspectorPath is where the inspector receives webhooks.
const InspectorPath = "/inspector/v1/requests"

// Inspector is a built-in webhook receiver that shows deliveries as they arrive. It keeps the
// latest requests in memory, not in PostgreSQL: it is a way to see a delivery, not a record of
// one (the deliveries table is), so losing them on restart costs nothing, and a fixed bound
// keeps an endpoint that anyone may POST to from growing anything.
type Inspector struct {
	box *inspectorBox // nil: the inspector is off
}

const (
	inspectorKeep    = 100
	inspectorBodyMax = 64 << 10
)

type inspectorBox struct {
	mu   sync.Mutex
	reqs []gen.InspectedRequest // oldest first
}

func newInspector(on bool) Inspector {
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
	i.box.mu.Lock()
	defer i.box.mu.Unlock()
	if len(i.box.reqs) == inspectorKeep {
		i.box.reqs = append(i.box.reqs[:0], i.box.reqs[1:]...)
	}
	i.box.reqs = append(i.box.reqs, rec)
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

type capturedKey struct{}

// capture keeps the inspector's requests as they arrived (headers and exact body bytes, which a
// signature is computed over) before validation and decoding see them.
func (i Inspector) capture(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if i.box == nil || req.Method != http.MethodPost || req.URL.Path != InspectorPath {
			return next(c)
		}
		body, err := readBody(c.Response().Writer, req, inspectorMaxBody)
		switch {
		case errors.Is(err, errBodyTooLarge):
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		case err != nil:
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		replaceBody(req, body)
		if len(body) > inspectorBodyMax {
			body = body[:inspectorBodyMax]
		}
		rec := gen.InspectedRequest{
			ReceivedAt: time.Now().UTC(), Method: req.Method, Path: req.URL.RequestURI(),
			Headers: map[string][]string(req.Header.Clone()), Body: string(body),
		}
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), capturedKey{}, rec)))
		return next(c)
	}
}
