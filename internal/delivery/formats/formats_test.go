package formats

import (
	"testing"

	"github.com/webhookd/webhookd/internal/delivery/arkyn"
)

func TestEveryDialectHasOneFormat(t *testing.T) {
	t.Parallel()
	names := []string{"voucherify", "bird", "superoffice", "shipping", "arkyn"}
	for _, name := range names {
		if f, ok := Default.Lookup(name); !ok || f.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, f, ok)
		}
	}
	if len(Default.byName) != len(names) {
		t.Errorf("%d formats for %d dialects: two share a name, or one is not listed here", len(Default.byName), len(names))
	}
	if _, ok := Default.Lookup("unknown"); ok {
		t.Error("an unknown dialect has a format")
	}
}

func TestSettingsReachTheirFormat(t *testing.T) {
	t.Parallel()
	s := arkyn.Settings{DiscordBaseURL: "https://discord.test/api", BotToken: "tok"}
	f, _ := New(Settings{Arkyn: s}).Lookup(arkyn.Name)
	if got := f.(arkyn.Format).Settings; got != s {
		t.Errorf("arkyn's settings = %+v, want %+v", got, s)
	}
	if f, _ := (Registry{}).Lookup(arkyn.Name); f.(arkyn.Format).Settings != (arkyn.Settings{}) {
		t.Error("the zero registry is not the default one")
	}
}
