package frontdoor_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/frontdoor"
	"github.com/webhookd/webhookd/handlers/kit"
)

// The front door starts only when every operation and security scheme of the spec has exactly
// one owner among the dialects.
func TestEveryOperationAndSchemeNeedsOneOwner(t *testing.T) {
	t.Parallel()
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	// One dialect per tag, each authenticating the schemes its operations name.
	owners := map[string]*kit.API{}
	var apis []*kit.API
	for _, tag := range spec.Tags {
		api := &kit.API{
			Name:         kit.Dialect(tag.Name),
			Invalid:      func(echo.Context, []kit.FieldError) error { return nil },
			Unauthorized: func(echo.Context) error { return nil },
			Failure:      func(echo.Context, int, string) error { return nil },
			Schemes:      map[string]kit.Scheme{},
		}
		owners[tag.Name] = api
		apis = append(apis, api)
	}
	claimed := map[string]bool{}
	for _, path := range spec.Paths.InMatchingOrder() {
		for _, op := range spec.Paths.Find(path).Operations() {
			if op.Security == nil {
				continue
			}
			for _, req := range *op.Security {
				for name := range req {
					if !claimed[name] {
						claimed[name], owners[op.Tags[0]].Schemes[name] = true, nil
					}
				}
			}
		}
	}
	build := func(change func([]kit.API) []kit.API) error {
		list := make([]kit.API, len(apis))
		for i, a := range apis {
			list[i] = *a
			list[i].Schemes = map[string]kit.Scheme{}
			for k, v := range a.Schemes {
				list[i].Schemes[k] = v
			}
		}
		_, err := frontdoor.New(spec, change(list), frontdoor.Options{Logger: slog.Default(), RequestTimeout: time.Second})
		return err
	}
	if err := build(func(l []kit.API) []kit.API { return l }); err != nil {
		t.Fatalf("every owner present: %v", err)
	}
	for _, tt := range []struct {
		name, want string
		change     func([]kit.API) []kit.API
	}{
		{"a dialect missing", "has no owner", func(l []kit.API) []kit.API {
			return slices.DeleteFunc(l, func(a kit.API) bool { return a.Name == "bird" })
		}},
		{"a scheme missing", `security scheme "accessKey" has no owner`, func(l []kit.API) []kit.API {
			for i := range l {
				delete(l[i].Schemes, "accessKey")
			}
			return l
		}},
		{"a scheme claimed twice", "is claimed by", func(l []kit.API) []kit.API {
			l[0].Schemes["accessKey"] = nil
			return l
		}},
		{"a scheme the spec lacks", "which openapi.yaml does not define", func(l []kit.API) []kit.API {
			l[0].Schemes["nosuchScheme"] = nil
			return l
		}},
		{"a dialect twice", "two dialects are named", func(l []kit.API) []kit.API { return append(l, l[0]) }},
		{"errors not worded", "does not word its errors", func(l []kit.API) []kit.API {
			l[1].Failure = nil
			return l
		}},
	} {
		if err := build(tt.change); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}
