package main_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/pgtest"
)

func TestProfilesAreServedOnlyOnTheirLoopbackAddress(t *testing.T) {
	t.Parallel()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	pprofURL := "http://127.0.0.1:" + strconv.Itoa(port)
	in := start(t, pgtest.NewURL(t), "WEBHOOKS_PPROF_ADDR=127.0.0.1:"+strconv.Itoa(port))
	for url, want := range map[string]int{pprofURL + "/debug/pprof/cmdline": http.StatusOK, in.url + "/debug/pprof/cmdline": http.StatusNotFound} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", url, resp.StatusCode, want)
		}
	}
}
