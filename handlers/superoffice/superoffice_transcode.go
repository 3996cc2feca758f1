package superoffice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
)

// The media types SuperOffice answers in, most preferred first.
var superOfficeResponseTypes = []string{"application/json", "text/json", "application/xml", "text/xml"}

// transcodeRequest rewrites a SuperOffice request body sent as text/json, XML or a form into
// the equivalent application/json, so that validation and the handlers see one encoding.
func transcodeRequest(req *http.Request, route *routers.Route) error {
	if req.Body == nil || req.Body == http.NoBody || route.Operation.RequestBody == nil {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		return nil // validation reports the content type
	}
	var schema *openapi3.Schema
	if mt := route.Operation.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		schema = mt.Schema.Value
	}
	var value any
	switch mediaType {
	case "text/json":
		req.Header.Set("Content-Type", "application/json")
		return nil
	case "application/xml", "text/xml":
		root, err := parseXML(req.Body)
		if err != nil {
			return err
		}
		if value, err = xmlToValue(root, schema, nil); err != nil {
			return err
		}
	case "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return errors.New("the body is not a valid form")
		}
		if schema == nil {
			return errors.New("this operation takes no form body")
		}
		if value, err = formToValue(form, schema); err != nil {
			return err
		}
	default:
		return nil
	}
	body, err := json.Marshal(value)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}

// negotiate picks the response media type from Accept; JSON when nothing listed is offered.
func negotiate(accept string) string {
	best, bestQ := "application/json", -1.0
	for _, part := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		for _, offered := range superOfficeResponseTypes {
			if (mediaType == offered || mediaType == "*/*" && offered == "application/json") && q > bestQ && q > 0 {
				best, bestQ = offered, q
			}
		}
	}
	return best
}

// bufferedResponse holds a JSON response back so that it can be re-encoded.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// respondIn runs next and re-encodes its JSON answer as mediaType.
func respondIn(c echo.Context, route *routers.Route, mediaType string, next echo.HandlerFunc) error {
	resp := c.Response()
	original := resp.Writer
	buf := &bufferedResponse{header: resp.Header()}
	resp.Writer = buf
	func() {
		defer func() {
			if r := recover(); r != nil {
				// A panic must end as the 500 it is, never as the capture's empty 200.
				buf.status, resp.Committed, resp.Status = 0, false, 0
				buf.body.Reset()
				c.Error(fmt.Errorf("panic: %v", r))
			}
		}()
		if err := next(c); err != nil {
			c.Error(err) // rendered now, while the response is still being captured
		}
	}()
	resp.Writer = original
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	body := buf.body.Bytes()
	if len(body) > 0 && strings.HasPrefix(resp.Header().Get("Content-Type"), "application/json") {
		switch mediaType {
		case "text/json":
			resp.Header().Set("Content-Type", "text/json; charset=utf-8")
		case "application/xml", "text/xml":
			if converted, convErr := jsonToXML(body, responseSchema(route, status)); convErr == nil {
				body = converted
				resp.Header().Set("Content-Type", mediaType+"; charset=utf-8")
			}
		}
	}
	resp.Header().Set("Content-Length", strconv.Itoa(len(body)))
	original.WriteHeader(status)
	_, werr := original.Write(body)
	return werr
}

func responseSchema(route *routers.Route, status int) *openapi3.SchemaRef {
	if route == nil || route.Operation.Responses == nil {
		return nil
	}
	r := route.Operation.Responses.Status(status)
	if r == nil || r.Value == nil {
		if status >= http.StatusBadRequest && route.Spec != nil && route.Spec.Components != nil {
			// A failure the operation does not list is still SuperOffice's error, and reads
			// in XML as the listed ones do.
			return route.Spec.Components.Schemas["SoError"]
		}
		return nil
	}
	if mt := r.Value.Content.Get("application/json"); mt != nil {
		return mt.Schema
	}
	return nil
}

func jsonToXML(body []byte, schema *openapi3.SchemaRef) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var s *openapi3.Schema
	name := "Response"
	if schema != nil {
		s = schema.Value
		if i := strings.LastIndex(schema.Ref, "/"); i >= 0 {
			name = schema.Ref[i+1:]
		}
		name = xmlElementName(s, name)
	}
	var out bytes.Buffer
	out.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	valueToXML(&out, name, v, s, true)
	return out.Bytes(), nil
}
