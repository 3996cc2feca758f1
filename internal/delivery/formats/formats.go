// Package formats is the registry of the dialects' delivery formats.
package formats

import (
	"maps"
	"slices"

	"github.com/webhookd/webhookd/internal/delivery/arkyn"
	"github.com/webhookd/webhookd/internal/delivery/bird"
	"github.com/webhookd/webhookd/internal/delivery/format"
	"github.com/webhookd/webhookd/internal/delivery/shipping"
	"github.com/webhookd/webhookd/internal/delivery/superoffice"
	"github.com/webhookd/webhookd/internal/delivery/voucherify"
)

// Settings are the settings of the formats that have any, each in its format's own terms.
type Settings struct {
	Arkyn arkyn.Settings
}

// Registry holds one format per dialect.
type Registry struct {
	byName map[string]format.Format
}

// New returns the registry of every format, configured with s.
func New(s Settings) Registry {
	all := []format.Format{voucherify.Format{}, bird.Format{}, superoffice.Format{}, shipping.Format{}, arkyn.Format{Settings: s.Arkyn}}
	r := Registry{byName: make(map[string]format.Format, len(all))}
	for _, f := range all {
		r.byName[f.Name()] = f
	}
	return r
}

// Default is the registry with every setting at its default. Matching events to subscriptions
// depends on no setting, so ingestion uses it.
var Default = New(Settings{})

// Lookup returns the format of a dialect. The zero Registry is Default.
func (r Registry) Lookup(dialect string) (format.Format, bool) {
	if r.byName == nil {
		r = Default
	}
	f, ok := r.byName[dialect]
	return f, ok
}

// Names lists the dialects that have a format, sorted.
func (r Registry) Names() []string {
	if r.byName == nil {
		r = Default
	}
	return slices.Sorted(maps.Keys(r.byName))
}
