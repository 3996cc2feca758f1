package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/gen"
)

// superOfficeAPI words errors as {Error, ErrorType}, in whatever encoding the client accepts.
var superOfficeAPI = dialectAPI{
	name:         dialectSO,
	pathPrefixes: []string{"/api/v1/"},
	maxBodyBytes: 256 << 10, // Headers and Properties dictionaries; XML is verbose
	invalid: func(c echo.Context, fields []fieldError) error {
		for _, f := range fields {
			if f.path == "" && f.rule == "required" {
				return c.JSON(http.StatusBadRequest, soError(gen.SoErrorErrorTypeBadRequest, "Entity to save is not in request body"))
			}
		}
		return c.JSON(http.StatusBadRequest, soError(gen.SoErrorErrorTypeBadRequest, joinFields(fields)))
	},
	unauthorized: func(c echo.Context) error {
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="SuperOffice"`)
		return c.JSON(http.StatusUnauthorized, soError(gen.SoErrorErrorTypeUnauthorized, "Authorization has been denied for this request."))
	},
	failure: func(c echo.Context, status int, message string) error {
		return c.JSON(status, soError(soErrorType(status), message))
	},
	// NetServer takes JSON, text/json, XML and forms and answers as the client accepts;
	// member names bind whatever their case.
	encodings: &encodings{negotiate: negotiate, respond: respondIn, decode: transcodeRequest, canonical: canonicalMembers},
	schemes:   map[string]scheme{"soBasic": soScheme("soBasic"), "soTicket": soScheme("soTicket"), "soBearer": soScheme("soBearer")},
}

func soScheme(name string) scheme {
	return func(a *authenticator, ctx context.Context, req *http.Request, info *requestInfo) error {
		account, err := a.superOffice(ctx, req, name)
		if err != nil {
			return err
		}
		info.account = &account
		return nil
	}
}

func soErrorType(status int) gen.SoErrorErrorType {
	switch status {
	case http.StatusUnauthorized:
		return gen.SoErrorErrorTypeUnauthorized
	case http.StatusNotFound:
		return gen.SoErrorErrorTypeNotFound
	case http.StatusMethodNotAllowed:
		return gen.SoErrorErrorTypeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return gen.SoErrorErrorTypePayloadTooLarge
	case http.StatusUnsupportedMediaType:
		return gen.SoErrorErrorTypeUnsupportedMediaType
	}
	if status < 500 {
		return gen.SoErrorErrorTypeBadRequest
	}
	return gen.SoErrorErrorTypeServerError
}
