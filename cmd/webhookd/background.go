package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// job is work that runs beside the HTTP server until the service stops: the delivery engine,
// and the upkeep every role runs.
type job struct {
	name string
	// run works until ctx ends, then finishes or hands back what it holds and returns.
	run func(ctx context.Context) error
}

// jobs are the running jobs.
type jobs struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// failed receives the first error of a job that ended before stop; the service then stops.
	failed chan error
}

// startJobs runs each job in its own goroutine. Their context is not the signal's: on SIGTERM
// they keep going until stop, which comes after the HTTP server has drained, so that requests
// still in flight find them running.
func startJobs(log *slog.Logger, list []job) *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	j := &jobs{cancel: cancel, failed: make(chan error, 1)}
	for _, jb := range list {
		j.wg.Add(1)
		go func() {
			defer j.wg.Done()
			err := jb.run(ctx)
			if err == nil || ctx.Err() != nil {
				if err != nil {
					log.Error("stopping "+jb.name, "error", err)
				}
				return
			}
			select {
			case j.failed <- fmt.Errorf("%s: %w", jb.name, err):
			default:
				log.Error(jb.name+" stopped", "error", err)
			}
		}()
	}
	return j
}

// stop ends every job and waits for them.
func (j *jobs) stop() {
	j.cancel()
	j.wg.Wait()
}
