package kit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestAuditRecordsWhoDidWhatAndCountsIt(t *testing.T) {
	var out bytes.Buffer
	reg := prometheus.NewRegistry()
	a, err := NewAuditor(slog.New(slog.NewJSONHandler(&out, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	account := uuid.New()
	ctx := WithRequestInfo(context.Background(), &RequestInfo{RequestID: "req-1", Caller: "portal:ps_1"})
	a.Record(ctx, "resend", account, slog.String("delivery_id", "d1"))
	a.Record(WithRequestInfo(context.Background(), &RequestInfo{Caller: "admin"}), "resend", account)

	line := strings.SplitN(out.String(), "\n", 2)[0]
	for _, want := range []string{`"msg":"audit"`, `"action":"resend"`, `"caller":"portal:ps_1"`, `"account_id":"` + account.String(), `"request_id":"req-1"`, `"delivery_id":"d1"`} {
		if !strings.Contains(line, want) {
			t.Errorf("audit line lacks %s: %s", want, line)
		}
	}
	if got := testutil.ToFloat64(a.actions.WithLabelValues("resend", "portal")); got != 1 {
		t.Errorf("portal resends counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(a.actions.WithLabelValues("resend", "admin")); got != 1 {
		t.Errorf("admin resends counted %v, want 1", got)
	}
}
