package frontdoor

import (
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"
)

// dialect names the API family an operation belongs to (kit.Dialect).
type dialect = kit.Dialect

// registry is every dialect the front door serves; the first words the errors of paths that
// belong to no dialect.
type registry []kit.API

// of returns the dialect named d; New has checked that every operation's dialect is there.
func (r registry) of(d dialect) kit.API {
	for _, api := range r {
		if api.Name == d {
			return api
		}
	}
	return r[0]
}

// forPath picks the dialect of a request that matches no operation, by its path.
func (r registry) forPath(path string) dialect {
	for _, api := range r {
		for _, prefix := range api.PathPrefixes {
			if strings.HasPrefix(path, prefix) {
				return api.Name
			}
		}
	}
	return r[0].Name
}
