package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Freeze stops the server and every process it started with SIGSTOP, as a hung host would
// look to clients: connections stay open, the kernel still accepts and acknowledges, nothing
// answers. It is for fault tests. resume sends SIGCONT and may be called more than once.
func (c *Cluster) Freeze() (resume func(), err error) {
	postmaster := c.cmd.Process.Pid
	if err := syscall.Kill(postmaster, syscall.SIGSTOP); err != nil {
		return nil, fmt.Errorf("SIGSTOP postmaster: %w", err)
	}
	// A stopped postmaster starts no more processes, so its children are now a fixed set.
	pids := []int{postmaster}
	var once sync.Once
	resume = func() {
		once.Do(func() {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGCONT)
			}
		})
	}
	kids, err := children(postmaster)
	if err == nil && len(kids) == 0 {
		err = errors.New("the postmaster has no child processes")
	}
	for _, pid := range kids {
		if err == nil {
			err = syscall.Kill(pid, syscall.SIGSTOP)
		}
		pids = append(pids, pid)
	}
	if err != nil {
		resume()
		return nil, fmt.Errorf("freezing PostgreSQL: %w", err)
	}
	return resume, nil
}

// children lists the processes whose parent is pid, read from /proc/<pid>/stat.
func children(parent int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid …"; comm may hold spaces and parentheses.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == parent {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
