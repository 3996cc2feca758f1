package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/egress"
)

// ErrSetting marks a start-up failure caused by a setting's value.
var ErrSetting = errors.New("bad setting")

// checkSettings reads every setting that has a syntax before anything starts, so that a bad
// value stops the service with one line naming it instead of falling back to a default.
func checkSettings() error {
	for _, name := range []string{"PORT", "DATABASE_MAX_CONNS", "WEBHOOKS_DELIVERY_CONCURRENCY"} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || (name == "PORT" && n > 65535) {
				return fmt.Errorf("%w: %s=%s: want a positive integer", ErrSetting, name, v)
			}
		}
	}
	if v := os.Getenv("WEBHOOKS_SHIPPING_RATE_LIMIT"); v != "" {
		if _, err := handlers.ParseRateLimit(v); err != nil {
			return fmt.Errorf("%w: WEBHOOKS_SHIPPING_RATE_LIMIT=%s: want <requests>/<Go duration of 1s or more>, such as 100/1h", ErrSetting, v)
		}
	}
	if v := os.Getenv("WEBHOOKS_ALLOWED_TARGETS"); v != "" {
		if _, err := egress.ParsePrefixes(v); err != nil {
			return fmt.Errorf("%w: WEBHOOKS_ALLOWED_TARGETS: %v", ErrSetting, err)
		}
	}
	if _, err := inspectorOn(); err != nil {
		return err
	}
	if v := os.Getenv("WEBHOOKS_PPROF_ADDR"); v != "" {
		if err := checkProfilingAddr(v); err != nil {
			return err
		}
	}
	return nil
}

// inspectorOn reads WEBHOOKS_INSPECTOR: on, off, or unset (on when no WEBHOOKS_ADMIN_TOKEN is
// given, which is how `go tool task run` starts the service for a try-out).
func inspectorOn() (bool, error) {
	switch v := os.Getenv("WEBHOOKS_INSPECTOR"); v {
	case "on":
		return true, nil
	case "off":
		return false, nil
	case "":
		return os.Getenv("WEBHOOKS_ADMIN_TOKEN") == "", nil
	default:
		return false, fmt.Errorf("%w: WEBHOOKS_INSPECTOR=%s: want on or off", ErrSetting, v)
	}
}

// stopWithParent asks the kernel for SIGTERM when the parent process dies, when
// WEBHOOKS_STOP_WITH_PARENT=1 (`go tool task run` sets it): killing go-task then stops the
// service and its PostgreSQL in order instead of orphaning them.
func stopWithParent() {
	if os.Getenv("WEBHOOKS_STOP_WITH_PARENT") != "1" {
		return
	}
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	if os.Getppid() == 1 {
		// The parent died before the request took effect.
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
