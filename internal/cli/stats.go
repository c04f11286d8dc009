package cli

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// statsConcurrency bounds the Stats requests stats runs at once for all
// queues.
const statsConcurrency = 8

func runStats(ctx context.Context, st *streams, args []string) error {
	c := newCmd("stats", "[flags] [QUEUE]",
		`Show how many messages a queue holds (visible, in flight, delayed), the
age of its oldest message, its counters since the server started and how
many tenants have messages or recent deliveries (see "sluice tenant list
--queue" for each). Without QUEUE, shows every queue.`,
		`sluice stats
		sluice stats orders
		sluice stats --json orders`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 0, 1)
	if err != nil {
		return err
	}
	var names []string
	if len(pos) == 1 {
		names = pos
	} else {
		queues, err := listQueues(ctx, cl, "", 0)
		if err != nil {
			return err
		}
		for _, q := range queues {
			names = append(names, q.Name)
		}
	}
	stats := make([]sluice.QueueStats, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(statsConcurrency)
	for i, name := range names {
		g.Go(func() error {
			s, err := cl.Stats(gctx, name)
			if err != nil {
				return queueErr(name, err)
			}
			stats[i] = s
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if cf.json {
		out := make([]wire.Stats, len(stats))
		for i, s := range stats {
			out[i] = wire.FromQueueStats(s)
		}
		if len(pos) == 1 {
			return printJSON(st.stdout, out[0])
		}
		return printJSON(st.stdout, out)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "QUEUE\tVISIBLE\tIN-FLIGHT\tDELAYED\tOLDEST\tSENT\tRECEIVED\tACKED\tRETURNED\tDEAD-LETTERED\tEXPIRED\tTENANTS\n")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", s.Name, s.Visible, s.InFlight, s.Delayed,
			formatDuration(s.OldestAge.Round(100*time.Millisecond)), s.Sent, s.Received, s.Acked, s.Returned, s.DeadLettered, s.Expired, s.Tenants)
	}
	return tw.Flush()
}

func runRedrive(ctx context.Context, st *streams, args []string) error {
	c := newCmd("redrive", "[flags] DLQ",
		`Move messages out of a dead-letter queue: back to the queue each came
from, or to the queue named by --to. Prints how many moved.`,
		`sluice redrive orders-dlq
		sluice redrive --to orders-retry --max 100 orders-dlq`)
	cf := c.clientFlags()
	to := c.fs.String("to", "", "move to this `queue` instead of each message's source")
	max := c.fs.Int("max", 0, "move at most `n` messages (default: all that are ready)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	if *max < 0 {
		return usageErrorf("redrive: --max must not be negative")
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	n, err := cl.Redrive(ctx, pos[0], sluice.RedriveOptions{Destination: *to, Max: *max})
	if err != nil {
		return queueErr(pos[0], err)
	}
	if cf.json {
		return printJSON(st.stdout, map[string]any{"queue": pos[0], "moved": n})
	}
	fmt.Fprintf(st.stdout, "moved %d messages out of %s\n", n, pos[0])
	return nil
}
