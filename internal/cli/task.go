package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// taskFlags are queue create's flags for tracked queues.
type taskFlags struct {
	tracked     *bool
	maxAttempts *int
	minBackoff  *time.Duration
	maxBackoff  *time.Duration
	retention   *time.Duration
	resultSize  *int
}

func (c *cmd) taskFlags() *taskFlags {
	return &taskFlags{
		tracked:     c.fs.Bool("tracked", false, "track every message as a task with a status (implied by the other task flags)"),
		maxAttempts: c.fs.Int("max-attempts", 0, "tracked: deliveries before a task is dead (default 5)"),
		minBackoff:  c.durationFlag("min-backoff", 0, "tracked: wait before the second attempt, doubled per attempt (default 1s)"),
		maxBackoff:  c.durationFlag("max-backoff", 0, "tracked: longest wait between attempts (default 15m)"),
		retention:   c.durationFlag("task-retention", 0, "tracked: how long finished statuses are kept (default 24h)"),
		resultSize:  c.sizeFlag("max-result-size", 0, "tracked: largest result kept (default 64KiB)"),
	}
}

// policy returns the task policy the flags ask for, or nil for none.
func (f *taskFlags) policy(c *cmd) *sluice.TaskPolicy {
	set := *f.tracked
	for _, name := range []string{"max-attempts", "min-backoff", "max-backoff", "task-retention", "max-result-size"} {
		set = set || c.isSet(name)
	}
	if !set {
		return nil
	}
	return &sluice.TaskPolicy{
		MaxAttempts: *f.maxAttempts, MinBackoff: *f.minBackoff, MaxBackoff: *f.maxBackoff,
		Retention: *f.retention, MaxResultSize: *f.resultSize,
	}
}

// merge returns cur with the fields whose flags were given replaced.
func (f *taskFlags) merge(c *cmd, cur sluice.TaskPolicy) *sluice.TaskPolicy {
	if c.isSet("max-attempts") {
		cur.MaxAttempts = *f.maxAttempts
	}
	if c.isSet("min-backoff") {
		cur.MinBackoff = *f.minBackoff
	}
	if c.isSet("max-backoff") {
		cur.MaxBackoff = *f.maxBackoff
	}
	if c.isSet("task-retention") {
		cur.Retention = *f.retention
	}
	if c.isSet("max-result-size") {
		cur.MaxResultSize = *f.resultSize
	}
	return &cur
}

func formatTaskPolicy(p *sluice.TaskPolicy) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%d attempts, backoff %s to %s, statuses kept %s", p.MaxAttempts,
		formatDuration(p.MinBackoff), formatDuration(p.MaxBackoff), formatDuration(p.Retention))
}

func runTaskGet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("task get", "[flags] QUEUE ID",
		`Show a task's status: its state, attempts, timestamps, last error and
result.`,
		`sluice task get reports 0b7c1f0e-4b5e-4f55-9d0f-6f1d2f3a4b5c`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 2, 2)
	if err != nil {
		return err
	}
	s, err := cl.Task(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	return printTask(st.stdout, cf.json, s)
}

// printTask prints one task's status as JSON or as a two-column table.
func printTask(w io.Writer, asJSON bool, s sluice.TaskStatus) error {
	if asJSON {
		return printJSON(w, wire.FromTaskStatus(s))
	}
	tw := newTable(w)
	rows := [][2]string{
		{"id", s.ID}, {"queue", s.Queue}, {"tenant", s.Tenant}, {"state", string(s.State)},
		{"attempt", fmt.Sprint(s.Attempt)}, {"created", formatTime(s.CreatedAt)},
		{"started", formatTime(s.StartedAt)}, {"lease deadline", formatTime(s.LeaseDeadline)},
		{"worker", s.Worker}, {"next attempt", formatTime(s.NextAttemptAt)},
		{"finished", formatTime(s.FinishedAt)}, {"last error", s.LastError},
		{"dead-letter queue", s.DeadLetterQueue},
	}
	for _, r := range rows {
		if r[1] != "" && r[1] != "-" {
			fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
		}
	}
	if s.Result != nil {
		fmt.Fprintf(tw, "result\t%s\n", formatBody(s.Result, 200))
	}
	return tw.Flush()
}

func runTaskList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("task list", "[flags] QUEUE",
		`List a tracked queue's tasks in order of creation, active and finished,
optionally only one tenant's or those in some states.`,
		`sluice task list reports
		sluice task list --state running,failed --tenant acme reports`)
	cf := c.clientFlags()
	tenant := c.fs.String("tenant", "", "only this `tenant`'s tasks")
	states := c.fs.String("state", "", "only tasks in these comma-separated `states`")
	limit := c.fs.Int("limit", 0, "list at most `n` tasks (default: all)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	if *limit < 0 {
		return usageErrorf("task list: --limit must not be negative")
	}
	f := sluice.TaskFilter{Tenant: *tenant}
	if f.States, err = wire.ParseStates("state", *states); err != nil {
		return usageErrorf("task list: --state: %v", err)
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	var tasks []sluice.TaskStatus
	for page := 0; ; page++ {
		if page > 100_000 {
			return errors.New("the server keeps returning pages")
		}
		f.Limit = 1000
		if *limit > 0 {
			f.Limit = min(*limit-len(tasks), 1000)
		}
		p, err := cl.ListTasks(ctx, pos[0], f)
		if err != nil {
			return err
		}
		tasks = append(tasks, p.Tasks...)
		if p.Next == 0 || *limit > 0 && len(tasks) >= *limit {
			break
		}
		f.After = p.Next
	}
	if cf.json {
		out := make([]wire.Task, 0, len(tasks))
		for _, s := range tasks {
			out = append(out, wire.FromTaskStatus(s))
		}
		return printJSON(st.stdout, out)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "ID\tSTATE\tATTEMPT\tTENANT\tCREATED\tLAST ERROR\n")
	for _, s := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", s.ID, s.State, s.Attempt, s.Tenant, formatTime(s.CreatedAt), formatBody([]byte(s.LastError), 60))
	}
	return tw.Flush()
}

func runTaskWait(ctx context.Context, st *streams, args []string) error {
	c := newCmd("task wait", "[flags] QUEUE ID",
		`Poll a task's status until it is finished, then print it. The command
fails unless the task succeeded, so scripts can chain on it.`,
		`sluice task wait reports 0b7c1f0e-4b5e-4f55-9d0f-6f1d2f3a4b5c
		sluice task wait --timeout 10m --interval 5s reports 0b7c1f0e-4b5e-4f55-9d0f-6f1d2f3a4b5c`)
	cf := c.clientFlags()
	interval := c.durationFlag("interval", time.Second, "time between polls")
	timeout := c.durationFlag("timeout", 0, "give up after this long (default: never)")
	pos, err := c.parse(st, args, 2, 2)
	if err != nil {
		return err
	}
	if *interval <= 0 {
		return usageErrorf("task wait: --interval must be positive")
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	s, err := cl.WaitTask(ctx, pos[0], pos[1], *interval)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("task %s still unfinished after %s", pos[1], formatDuration(*timeout))
	}
	if err != nil {
		return err
	}
	if err := printTask(st.stdout, cf.json, s); err != nil {
		return err
	}
	if s.State != sluice.TaskSucceeded {
		msg := fmt.Sprintf("task %s is %s", s.ID, s.State)
		if s.LastError != "" {
			msg += ": " + strings.TrimSpace(s.LastError)
		}
		return errors.New(msg)
	}
	return nil
}
