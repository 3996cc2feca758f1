package handlers

import (
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"
)

// registry is every dialect the front door serves; the first (the admin API) also words the
// errors of system operations and of paths that belong to no dialect.
type registry []kit.API

// of returns the dialect named d.
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
	return dialectSystem
}
