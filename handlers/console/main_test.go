package console_test

import (
	"testing"

	"github.com/webhookd/webhookd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
