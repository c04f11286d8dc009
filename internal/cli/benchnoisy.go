package cli

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"golang.org/x/sync/errgroup"
)

// The noisy-neighbor scenario: one tenant holds a large backlog and keeps
// sending as fast as it can, while many quiet tenants each send a trickle;
// consumers that take --work per batch cannot keep up. It runs three
// phases on fresh queues — quiet tenants alone (the baseline), then with
// the noisy tenant on a weighted-fair queue, then on a queue with fairness
// off — and reports each class's wait from send to receive.

// noisyConfig is the scenario's settings.
type noisyConfig struct {
	backlog   int           // noisy tenant's messages queued before the phase starts
	quiet     int           // quiet tenants
	quietRate float64       // messages per second per quiet tenant
	noisyRate float64       // messages per second the noisy tenant keeps sending
	work      time.Duration // consumer time per received batch
	producers int           // concurrent senders for the preload
	consumers int
	batch     int
	size      int
	duration  time.Duration
}

// noisyPhase is one phase's result.
type noisyPhase struct {
	Name     string         `json:"name"`
	Fairness bool           `json:"fairness"`
	Backlog  int            `json:"noisy_backlog"`
	Quiet    latencySummary `json:"quiet_wait"`
	Noisy    latencySummary `json:"noisy_wait"`
	Received int64          `json:"received"`
}

// noisyReport is what the scenario prints.
type noisyReport struct {
	Scenario  string       `json:"scenario"`
	Server    string       `json:"server"`
	Quiet     int          `json:"quiet_tenants"`
	QuietRate float64      `json:"quiet_msgs_per_sec_each"`
	NoisyRate float64      `json:"noisy_msgs_per_sec"`
	Consumers int          `json:"consumers"`
	Batch     int          `json:"batch"`
	Work      string       `json:"work_per_batch"`
	Phases    []noisyPhase `json:"phases"`
	// QuietP99Ratio is the quiet tenants' p99 wait with fairness over the
	// baseline's; the target is at most 1.5.
	QuietP99Ratio float64 `json:"quiet_p99_fair_over_baseline"`
}

func runNoisyNeighbor(ctx context.Context, cl *client.Client, cfg noisyConfig) ([]noisyPhase, error) {
	var out []noisyPhase
	for _, ph := range []struct {
		name        string
		fair, noisy bool
	}{
		{"baseline: quiet tenants only", true, false},
		{"noisy tenant, fairness on", true, true},
		{"noisy tenant, fairness off", false, true},
	} {
		res, err := runNoisyPhase(ctx, cl, cfg, ph.fair, ph.noisy)
		res.Name = ph.name
		out = append(out, res)
		if err != nil {
			return out, fmt.Errorf("%s: %w", ph.name, err)
		}
	}
	return out, nil
}

// stamped returns a body of size bytes (at least 8) holding now.
func stamped(size int, now time.Time) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, uint64(now.UnixNano()))
	return b
}

func runNoisyPhase(ctx context.Context, cl *client.Client, cfg noisyConfig, fair, noisy bool) (noisyPhase, error) {
	res := noisyPhase{Fairness: fair}
	name := "bench-noisy-" + randomHex(4)
	if _, err := cl.CreateQueue(ctx, sluice.QueueConfig{Name: name, DisableFairness: !fair}); err != nil {
		return res, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		cl.DeleteQueue(dctx, name)
	}()
	sendNoisy := func(ctx context.Context) error {
		batch := make([]sluice.SendInput, cfg.batch)
		body := stamped(cfg.size, time.Now())
		for i := range batch {
			batch[i] = sluice.SendInput{Body: body, Tenant: "noisy"}
		}
		_, err := cl.SendBatch(ctx, name, batch)
		return err
	}
	if noisy {
		// Preload: every message stamped before the phase starts.
		g, gctx := errgroup.WithContext(ctx)
		per := (cfg.backlog + cfg.producers*cfg.batch - 1) / (cfg.producers * cfg.batch)
		for range cfg.producers {
			g.Go(func() error {
				for range per {
					if err := sendNoisy(gctx); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return res, fmt.Errorf("preload: %w", err)
		}
		res.Backlog = per * cfg.producers * cfg.batch
	}
	runCtx, stop := context.WithTimeout(ctx, cfg.duration)
	defer stop()
	var mu sync.Mutex // guards quiet, noisy and received
	var quiet, noisyH histogram
	var received int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.quiet+cfg.consumers+1)
	if noisy && cfg.noisyRate > 0 {
		wg.Go(func() {
			tick := time.NewTicker(time.Duration(float64(time.Second) * float64(cfg.batch) / cfg.noisyRate))
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
				}
				if err := sendNoisy(runCtx); err != nil && runCtx.Err() == nil {
					errs <- err
					return
				}
			}
		})
	}
	interval := time.Duration(float64(time.Second) / cfg.quietRate)
	for i := range cfg.quiet {
		tenant := fmt.Sprint("quiet-", i)
		wg.Go(func() {
			// Spread the tenants' first sends over one interval.
			t := time.NewTimer(interval * time.Duration(i) / time.Duration(cfg.quiet))
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
				}
				t.Reset(interval)
				if _, err := cl.Send(runCtx, name, sluice.SendInput{Body: stamped(cfg.size, time.Now()), Tenant: tenant}); err != nil && runCtx.Err() == nil {
					errs <- err
					return
				}
			}
		})
	}
	wait := time.Second
	for range cfg.consumers {
		wg.Go(func() {
			var q, n histogram
			var got int64
			defer func() {
				mu.Lock()
				quiet.merge(&q)
				noisyH.merge(&n)
				received += got
				mu.Unlock()
			}()
			receipts := make([]string, 0, cfg.batch)
			for runCtx.Err() == nil {
				msgs, err := cl.Receive(runCtx, name, sluice.ReceiveOptions{Max: cfg.batch, WaitTime: &wait})
				if err != nil {
					if runCtx.Err() == nil {
						errs <- err
					}
					return
				}
				now := time.Now()
				receipts = receipts[:0]
				for _, m := range msgs {
					sent := time.Unix(0, int64(binary.BigEndian.Uint64(m.Body)))
					if m.Tenant == "noisy" {
						n.record(now.Sub(sent))
					} else {
						q.record(now.Sub(sent))
					}
					receipts = append(receipts, m.Receipt)
				}
				got += int64(len(msgs))
				if len(receipts) > 0 {
					if _, err := cl.AckBatch(context.WithoutCancel(runCtx), name, receipts); err != nil {
						errs <- err
						return
					}
				}
				if cfg.work > 0 {
					select {
					case <-runCtx.Done():
					case <-time.After(cfg.work):
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	res.Quiet, res.Noisy, res.Received = quiet.summary(), noisyH.summary(), received
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return res, errors.Join(all...)
}

// printNoisy writes the scenario's report as a table.
func printNoisy(w io.Writer, rep noisyReport) {
	fmt.Fprintf(w, "scenario noisy-neighbor: %d quiet tenants at %g msg/s each, noisy tenant at %g msg/s, %d consumers, batch %d, %s work per batch\nserver %s\n\n",
		rep.Quiet, rep.QuietRate, rep.NoisyRate, rep.Consumers, rep.Batch, rep.Work, rep.Server)
	tw := newTable(w)
	fmt.Fprintf(tw, "PHASE\tNOISY BACKLOG\tCLASS\tSAMPLES\tP50\tP90\tP99\tMAX\n")
	for _, p := range rep.Phases {
		if p.Quiet.Count == 0 {
			fmt.Fprintf(tw, "%s\t%d\tquiet\t0\tnone delivered in the run\t\t\t\n", p.Name, p.Backlog)
		} else {
			fmt.Fprintf(tw, "%s\t%d\tquiet\t%d\t%s\n", p.Name, p.Backlog, p.Quiet.Count, latencyCols(p.Quiet))
		}
		if p.Noisy.Count > 0 {
			fmt.Fprintf(tw, "\t\tnoisy\t%d\t%s\n", p.Noisy.Count, latencyCols(p.Noisy))
		}
	}
	tw.Flush()
	if rep.QuietP99Ratio > 0 {
		fmt.Fprintf(w, "\nquiet p99 wait, fairness on / baseline: %.2f (target at most 1.5)\n", rep.QuietP99Ratio)
	}
}
