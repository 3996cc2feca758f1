// Package formats is the registry of the dialects' delivery formats.
package formats

import (
	"github.com/webhookd/webhookd/internal/delivery/arkyn"
	"github.com/webhookd/webhookd/internal/delivery/bird"
	"github.com/webhookd/webhookd/internal/delivery/format"
	"github.com/webhookd/webhookd/internal/delivery/shipping"
	"github.com/webhookd/webhookd/internal/delivery/superoffice"
	"github.com/webhookd/webhookd/internal/delivery/voucherify"
)

// All are the formats the engine delivers in.
var All = []format.Format{voucherify.Format{}, bird.Format{}, superoffice.Format{}, shipping.Format{}, arkyn.Format{}}

var byName = func() map[string]format.Format {
	m := make(map[string]format.Format, len(All))
	for _, f := range All {
		m[f.Name()] = f
	}
	return m
}()

// Lookup returns the format of a dialect.
func Lookup(dialect string) (format.Format, bool) {
	f, ok := byName[dialect]
	return f, ok
}
