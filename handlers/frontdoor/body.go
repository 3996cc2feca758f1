package frontdoor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// maxJSONDepth bounds how deeply a JSON body may nest. No schema of openapi.yaml goes deeper
// than a few levels; the cap keeps hostile bodies (thousands of nested arrays) from costing
// memory in validation.
const maxJSONDepth = 32

// Errors of reading and checking a request body, before any schema sees it.
var (
	ErrBodyTooLarge  = errors.New("the request body is too large")
	errBodyUnread    = errors.New("the request body could not be read")
	errJSONMalformed = errors.New("invalid request payload JSON format")
	errJSONTooDeep   = fmt.Errorf("the JSON body nests deeper than %d levels", maxJSONDepth)
	errJSONNul       = errors.New("strings must not contain the NUL character (\\u0000)")
)

// ReadBody reads the whole body, at most limit bytes. Any failure means the connection can no
// longer be trusted to hold a request boundary where the client says it does, so the response
// asks for the connection to be closed: the bytes that follow are never read as a request.
func ReadBody(w http.ResponseWriter, req *http.Request, limit int64) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		leaveUnread(w)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, ErrBodyTooLarge
		}
		return nil, fmt.Errorf("%w: %v", errBodyUnread, err)
	}
	return body, nil
}

// unreadGrace is how long the server may go on reading a body it refused: Go's server reads up
// to 256 KiB of it after the response so that the client can finish sending and read the answer
// (closing on unread bytes resets the connection, which can discard the answer). A client that
// sends at once is done well within it; a slow one is cut off.
const unreadGrace = 250 * time.Millisecond

// leaveUnread answers on a connection whose request body will not be read to its end: the
// response asks for the connection to be closed, and the server stops reading after
// unreadGrace instead of for as long as its read timeout allows.
func leaveUnread(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(unreadGrace))
}

// ReplaceBody gives req a body that can be read again, as validation and binding both do.
func ReplaceBody(req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

// hasBody tells whether the client announced a body that the server has not read.
func hasBody(req *http.Request) bool {
	return req.ContentLength != 0 && req.Body != nil && req.Body != http.NoBody
}

// isJSON tells whether a Content-Type names JSON in any of its spellings.
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mediaType == "application/json" || mediaType == "text/json" || strings.HasSuffix(mediaType, "+json")
}

// checkJSON accepts exactly one JSON value, nested at most maxJSONDepth deep, whose strings
// and member names hold no NUL (PostgreSQL's text and jsonb cannot store it). Encoding/json
// would silently accept trailing data after the value and nest 10,000 levels deep. One pass
// counts depth and finds escaped NULs without allocating; json.Valid judges the rest.
func checkJSON(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // an absent body is the schema's business (required or not)
	}
	depth, inString := 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString && c == '\\':
			if i+5 < len(body) && string(body[i+1:i+6]) == "u0000" {
				return errJSONNul
			}
			i++ // the escaped character cannot end the string
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth > maxJSONDepth {
				return errJSONTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	if !utf8.Valid(body) || !json.Valid(body) {
		return errJSONMalformed
	}
	return nil
}
