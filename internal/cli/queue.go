package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/wire"
)

// queueAttrFlags are the attribute flags shared by queue create and update.
type queueAttrFlags struct {
	typ               *string
	visibility        *time.Duration
	delay             *time.Duration
	retention         *time.Duration
	receiveWait       *time.Duration
	maxMessageSize    *int
	deadLetterQueue   *string
	maxReceives       *int
	contentBasedDedup *bool
	tags              keyValues
}

func (c *cmd) queueAttrFlags() *queueAttrFlags {
	f := &queueAttrFlags{tags: keyValues{}}
	f.typ = c.fs.String("type", "", "queue `type`: standard or fifo (default: fifo when the name ends in .fifo)")
	f.visibility = c.durationFlag("visibility-timeout", 0, "how long a received message stays invisible (default 30s)")
	f.delay = c.durationFlag("delay", 0, "delay before each new message becomes visible")
	f.retention = c.durationFlag("retention", 0, "how long messages are kept (default 4d)")
	f.receiveWait = c.durationFlag("receive-wait", 0, "long-poll wait of receives that ask for none")
	f.maxMessageSize = c.sizeFlag("max-message-size", 0, "largest body plus attributes, such as 256KiB (default: the server's limit)")
	f.deadLetterQueue = c.fs.String("dead-letter-queue", "", "`queue` that receives messages after --max-receives receives")
	f.maxReceives = c.fs.Int("max-receives", 0, "receives before a message moves to the dead-letter queue")
	f.contentBasedDedup = c.fs.Bool("content-based-dedup", false, "FIFO: deduplicate by body hash when a send has no dedup id")
	c.fs.Var(f.tags, "tag", "tag as `key=value` (repeatable)")
	return f
}

func runQueueCreate(ctx context.Context, st *streams, args []string) error {
	c := newCmd("queue create", "[flags] NAME",
		`Create a queue. Names are letters, digits, '-' and '_'; FIFO queues
end in ".fifo". Creating a queue that exists with the same attributes
succeeds; with other attributes it fails. Durations take Go syntax (30s, 5m),
days (4d) or bare seconds.`,
		`sluice queue create orders
		sluice queue create --visibility-timeout 2m --dead-letter-queue orders-dlq --max-receives 5 orders
		sluice queue create --content-based-dedup payments.fifo
		sluice queue create --tracked --max-attempts 3 --min-backoff 10s reports`)
	cf := c.clientFlags()
	af := c.queueAttrFlags()
	noFair := c.fs.Bool("no-fairness", false, "standard queues: deliver in send order across tenants, ignoring tenant policies")
	tf := c.taskFlags()
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	cfg := sluice.QueueConfig{
		DisableFairness:   *noFair,
		Name:              pos[0],
		Type:              sluice.QueueType(*af.typ),
		VisibilityTimeout: *af.visibility,
		Delay:             *af.delay,
		Retention:         *af.retention,
		ReceiveWait:       *af.receiveWait,
		MaxMessageSize:    *af.maxMessageSize,
		ContentBasedDedup: *af.contentBasedDedup,
		Tasks:             tf.policy(c),
	}
	if len(af.tags) > 0 {
		cfg.Tags = af.tags
	}
	switch {
	case *af.deadLetterQueue != "":
		if !c.isSet("max-receives") {
			return usageErrorf("queue create: --dead-letter-queue needs --max-receives")
		}
		cfg.DeadLetter = &sluice.DeadLetterPolicy{Queue: *af.deadLetterQueue, MaxReceives: *af.maxReceives}
	case c.isSet("max-receives"):
		return usageErrorf("queue create: --max-receives needs --dead-letter-queue")
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	q, err := cl.CreateQueue(ctx, cfg)
	if err != nil {
		return err
	}
	return printQueue(st.stdout, cf.json, q)
}

// printQueue prints one queue's configuration as JSON or as a two-column
// table.
func printQueue(w io.Writer, asJSON bool, q sluice.QueueConfig) error {
	if asJSON {
		return printJSON(w, wire.FromQueueConfig(q))
	}
	tw := newTable(w)
	dl := "-"
	if q.DeadLetter != nil {
		dl = fmt.Sprintf("%s after %d receives", q.DeadLetter.Queue, q.DeadLetter.MaxReceives)
	}
	rows := [][2]string{
		{"name", q.Name},
		{"type", string(q.Type)},
		{"visibility timeout", formatDuration(q.VisibilityTimeout)},
		{"delay", formatDuration(q.Delay)},
		{"retention", formatDuration(q.Retention)},
		{"receive wait", formatDuration(q.ReceiveWait)},
		{"max message size", formatSize(int64(q.MaxMessageSize))},
		{"dead-letter queue", dl},
		{"content-based dedup", fmt.Sprint(q.ContentBasedDedup)},
		{"tenant fairness", fairness(q)},
		{"tags", formatTags(q.Tags)},
		{"tasks", formatTaskPolicy(q.Tasks)},
		{"created", formatTime(q.CreatedAt)},
		{"updated", formatTime(q.UpdatedAt)},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func runQueueList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("queue list", "[flags]",
		`List queues in name order, with their main attributes. --prefix keeps
the names that start with it; --limit stops after that many.`,
		`sluice queue list
		sluice queue list --prefix orders --json`)
	cf := c.clientFlags()
	prefix := c.fs.String("prefix", "", "list only names starting with `prefix`")
	limit := c.fs.Int("limit", 0, "list at most `n` queues (default: all)")
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	if *limit < 0 {
		return usageErrorf("queue list: --limit must not be negative")
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	queues, err := listQueues(ctx, cl, *prefix, *limit)
	if err != nil {
		return err
	}
	if cf.json {
		out := make([]wire.Queue, 0, len(queues))
		for _, q := range queues {
			out = append(out, wire.FromQueueConfig(q))
		}
		return printJSON(st.stdout, out)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "NAME\tTYPE\tVISIBILITY\tDELAY\tRETENTION\tDEAD-LETTER\tTAGS\n")
	for _, q := range queues {
		dl := "-"
		if q.DeadLetter != nil {
			dl = q.DeadLetter.Queue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", q.Name, q.Type, formatDuration(q.VisibilityTimeout),
			formatDuration(q.Delay), formatDuration(q.Retention), dl, formatTags(q.Tags))
	}
	return tw.Flush()
}

// listQueues pages through the queues whose names start with prefix and
// returns at most limit of them (all when limit is zero).
func listQueues(ctx context.Context, cl *client.Client, prefix string, limit int) ([]sluice.QueueConfig, error) {
	var all []sluice.QueueConfig
	opts := client.ListOptions{Prefix: prefix}
	for page := 0; ; page++ {
		if page > 100_000 {
			return nil, errors.New("queue list: the server keeps returning pages")
		}
		if limit > 0 {
			opts.Limit = min(limit-len(all), 1000)
		}
		p, err := cl.ListQueues(ctx, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Queues...)
		if p.Next == "" || (limit > 0 && len(all) >= limit) {
			break
		}
		opts.After = p.Next
	}
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

func runQueueGet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("queue get", "[flags] NAME", `Show a queue's configuration.`,
		`sluice queue get orders
		sluice queue get --json orders`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 1, 1)
	if err != nil {
		return err
	}
	q, err := cl.GetQueue(ctx, pos[0])
	if err != nil {
		return queueErr(pos[0], err)
	}
	return printQueue(st.stdout, cf.json, q)
}

func runQueueUpdate(ctx context.Context, st *streams, args []string) error {
	c := newCmd("queue update", "[flags] NAME",
		`Change a queue's attributes; only the flags given change. The type
cannot change. --dead-letter-queue "" removes the dead-letter queue; --tag
adds or replaces tags and --untag removes them. Prints the new configuration.`,
		`sluice queue update --visibility-timeout 5m orders
		sluice queue update --dead-letter-queue orders-dlq --max-receives 3 orders
		sluice queue update --tag team=billing --untag owner orders
		sluice queue update --tracked --max-attempts 3 reports`)
	cf := c.clientFlags()
	af := c.queueAttrFlags()
	tf := c.taskFlags()
	var untag stringList
	c.fs.Var(&untag, "untag", "remove the tag `key` (repeatable)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	if c.isSet("type") {
		return usageErrorf("queue update: a queue's --type cannot change; create a new queue")
	}
	var u sluice.QueueUpdate
	changed := false
	setDur := func(flag string, v *time.Duration, dst **time.Duration) {
		if c.isSet(flag) {
			*dst, changed = v, true
		}
	}
	setDur("visibility-timeout", af.visibility, &u.VisibilityTimeout)
	setDur("delay", af.delay, &u.Delay)
	setDur("retention", af.retention, &u.Retention)
	setDur("receive-wait", af.receiveWait, &u.ReceiveWait)
	if c.isSet("max-message-size") {
		u.MaxMessageSize, changed = af.maxMessageSize, true
	}
	if c.isSet("content-based-dedup") {
		u.ContentBasedDedup, changed = af.contentBasedDedup, true
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	if p := tf.policy(c); p != nil {
		// Only the task flags given change: start from the current policy.
		cur, err := cl.GetQueue(ctx, name)
		if err != nil {
			return err
		}
		if cur.Tasks != nil {
			merged := *cur.Tasks
			p = tf.merge(c, merged)
		}
		u.Tasks, changed = p, true
	}
	if c.isSet("dead-letter-queue") || c.isSet("max-receives") {
		dl := &sluice.DeadLetterPolicy{Queue: *af.deadLetterQueue, MaxReceives: *af.maxReceives}
		if !c.isSet("dead-letter-queue") || (dl.Queue != "" && !c.isSet("max-receives")) {
			// Fill in the half of the policy not given from the current one.
			cur, err := cl.GetQueue(ctx, name)
			if err != nil {
				return queueErr(name, err)
			}
			switch {
			case cur.DeadLetter == nil && !c.isSet("dead-letter-queue"):
				return usageErrorf("queue update: queue %q has no dead-letter queue; give --dead-letter-queue with --max-receives", name)
			case cur.DeadLetter == nil:
				return usageErrorf("queue update: --dead-letter-queue needs --max-receives")
			case !c.isSet("dead-letter-queue"):
				dl.Queue = cur.DeadLetter.Queue
			default:
				dl.MaxReceives = cur.DeadLetter.MaxReceives
			}
		}
		u.DeadLetter, changed = dl, true
	}
	if !changed && len(af.tags) == 0 && len(untag) == 0 {
		return usageErrorf("queue update: nothing to change (see 'sluice queue update --help')")
	}
	if changed {
		if _, err := cl.UpdateQueue(ctx, name, u); err != nil {
			return queueErr(name, err)
		}
	}
	if len(af.tags) > 0 {
		if err := cl.TagQueue(ctx, name, af.tags); err != nil {
			return queueErr(name, err)
		}
	}
	if len(untag) > 0 {
		if err := cl.UntagQueue(ctx, name, untag); err != nil {
			return queueErr(name, err)
		}
	}
	q, err := cl.GetQueue(ctx, name)
	if err != nil {
		return queueErr(name, err)
	}
	return printQueue(st.stdout, cf.json, q)
}

func runQueueDelete(ctx context.Context, st *streams, args []string) error {
	c := newCmd("queue delete", "[flags] NAME...",
		`Delete queues with every message in them. A queue that another queue
uses as its dead-letter queue cannot be deleted until that queue stops
using it.`,
		`sluice queue delete orders
		sluice queue delete old-1 old-2`)
	cf := c.clientFlags()
	pos, err := c.parse(st, args, 1, -1)
	if err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	deleted := []string{}
	for _, name := range pos {
		if err := cl.DeleteQueue(ctx, name); err != nil {
			return queueErr(name, err)
		}
		deleted = append(deleted, name)
		if !cf.json {
			fmt.Fprintf(st.stdout, "deleted queue %s\n", name)
		}
	}
	if cf.json {
		return printJSON(st.stdout, map[string][]string{"deleted": deleted})
	}
	return nil
}

func runQueuePurge(ctx context.Context, st *streams, args []string) error {
	c := newCmd("queue purge", "[flags] NAME",
		`Delete every message in a queue, including those in flight, and keep
the queue. Prints how many messages were deleted.`,
		`sluice queue purge orders`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 1, 1)
	if err != nil {
		return err
	}
	n, err := cl.PurgeQueue(ctx, pos[0])
	if err != nil {
		return queueErr(pos[0], err)
	}
	if cf.json {
		return printJSON(st.stdout, map[string]any{"queue": pos[0], "purged": n})
	}
	fmt.Fprintf(st.stdout, "purged %d messages from %s\n", n, pos[0])
	return nil
}

// queueErr names the queue in a not-found error, which the server reports
// without the name.
func queueErr(name string, err error) error {
	if errors.Is(err, sluice.ErrQueueNotFound) {
		return fmt.Errorf("queue %q does not exist", name)
	}
	return err
}

// fairness describes how a queue shares dispatch across tenants.
func fairness(q sluice.QueueConfig) string {
	switch {
	case q.Type == sluice.FIFO:
		return "groups round-robin"
	case q.DisableFairness:
		return "off (send order)"
	}
	return "weighted-fair"
}
