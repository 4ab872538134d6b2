package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/mob"
)

// provision creates the n accounts of cfg before the scenario runs.
func provision(ctx context.Context, c *common, cfg *mob.Config, n int, stderr io.Writer) error {
	switch c.provision {
	case "register":
		res, err := mob.Register(ctx, cfg, n)
		if err != nil {
			return err
		}
		return report(stderr, "register", res)
	case "meerkat":
		if c.meerkatConf == "" {
			return usageError{errors.New("--provision meerkat needs --meerkat-config")}
		}
		jobs := c.provisionJobs
		if jobs <= 0 {
			jobs = 2 * runtime.NumCPU()
		}
		return report(stderr, "meerkat user add", provisionMeerkat(ctx, c.meerkatBin, c.meerkatConf, cfg, n, jobs))
	case "meerkat-store":
		if c.meerkatConf == "" {
			return usageError{errors.New("--provision meerkat-store needs --meerkat-config")}
		}
		res, err := provisionStore(ctx, c.meerkatConf, cfg, n)
		if err != nil {
			return err
		}
		return report(stderr, "meerkat's store", res)
	}
	return usageError{fmt.Errorf("--provision %q: want meerkat, meerkat-store or register", c.provision)}
}

func report(w io.Writer, how string, res *mob.ProvisionResult) error {
	fmt.Fprintf(w, "provisioned with %s: %d created, %d existed, %d failed in %.1f s\n",
		how, res.Created, res.Existed, res.Failed, res.Seconds)
	if res.Failed > 0 {
		return fmt.Errorf("provisioning: %d accounts failed, the first: %w", res.Failed, res.FirstError)
	}
	return nil
}

// provisionMeerkat runs `meerkat user add -config F user@domain` for each
// account, jobs processes at a time, with the password on standard input.
// Accounts that exist already are left as they are.
func provisionMeerkat(ctx context.Context, bin, conf string, cfg *mob.Config, n, jobs int) *mob.ProvisionResult {
	var res mob.ProvisionResult
	var once sync.Once
	t0 := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				a := cfg.Account(i)
				cmd := exec.CommandContext(ctx, bin, "user", "add", "-config", conf, a.JID())
				cmd.Stdin = strings.NewReader(a.Password + "\n")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				switch {
				case err == nil:
					atomic.AddInt64(&res.Created, 1)
				case strings.Contains(out.String(), "already exists"):
					atomic.AddInt64(&res.Existed, 1)
				default:
					atomic.AddInt64(&res.Failed, 1)
					once.Do(func() { res.FirstError = fmt.Errorf("%s: %v: %s", a.JID(), err, strings.TrimSpace(out.String())) })
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	res.Seconds = time.Since(t0).Seconds()
	return &res
}
