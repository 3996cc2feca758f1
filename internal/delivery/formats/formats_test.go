package formats

import "testing"

func TestEveryDialectHasOneFormat(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"voucherify", "bird", "superoffice", "shipping", "arkyn"} {
		if f, ok := Lookup(name); !ok || f.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, f, ok)
		}
	}
	if len(byName) != len(All) {
		t.Error("two formats share a name")
	}
	if _, ok := Lookup("unknown"); ok {
		t.Error("an unknown dialect has a format")
	}
}
