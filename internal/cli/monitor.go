package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func runMonitorBuckets(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor buckets", "[flags] [QUEUE]",
		`Show the Task Monitor's age buckets: for every tracked queue (or only
QUEUE), its active tasks counted by age, waiting and running apart, with the
orphaned and retrying ones and the oldest ages. --tenants adds a row per
tenant.`,
		`sluice monitor buckets
		sluice monitor buckets --tenants reports`)
	cf := c.clientFlags()
	tenants := c.fs.Bool("tenants", false, "count per tenant too")
	pos, err := c.parse(st, args, 0, 1)
	if err != nil {
		return err
	}
	queue := ""
	if len(pos) == 1 {
		queue = pos[0]
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	all, err := cl.TaskAges(ctx, queue, *tenants)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSONList(st.stdout, all, wire.FromTaskAges)
	}
	tw := newTable(st.stdout)
	for i, a := range all {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		head := []string{"QUEUE", "TENANT", "KIND", "TOTAL"}
		for _, b := range a.Bounds {
			head = append(head, ">"+formatDuration(b))
		}
		head = append(head, "OLDEST", "ORPHANED", "RETRYING")
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		row := func(tenant string, c *sluice.AgeCounts) {
			for _, k := range []struct {
				kind    string
				total   int
				buckets []int
				oldest  time.Duration
			}{{"waiting", c.Waiting, c.WaitingBuckets, c.OldestWaiting}, {"running", c.Running, c.RunningBuckets, c.OldestRunning}} {
				cells := []string{a.Queue, tenant, k.kind, fmt.Sprint(k.total)}
				for _, n := range k.buckets {
					cells = append(cells, fmt.Sprint(n))
				}
				cells = append(cells, formatDuration(k.oldest))
				if k.kind == "waiting" {
					cells = append(cells, fmt.Sprint(c.Orphaned), fmt.Sprint(c.Retrying))
				} else {
					cells = append(cells, "", "")
				}
				fmt.Fprintln(tw, strings.Join(cells, "\t"))
			}
		}
		row("*", &a.AgeCounts)
		for _, name := range sortedKeys(a.Tenants) {
			label := name
			if label == "" {
				label = "(default)"
			}
			row(label, a.Tenants[name])
		}
	}
	return tw.Flush()
}

func sortedKeys(m map[string]*sluice.AgeCounts) []string {
	return slices.Sorted(maps.Keys(m))
}

func runMonitorTasks(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor tasks", "[flags] QUEUE",
		`List a tracked queue's active tasks of a kind, oldest first: running
(the default), waiting, orphaned (a lease expired without a result) or
retrying (waiting after a failed attempt), at least --over old.`,
		`sluice monitor tasks --over 45m reports
		sluice monitor tasks --kind waiting --over 10m --tenant acme reports`)
	cf := c.clientFlags()
	kind := c.fs.String("kind", "running", "running, waiting, orphaned or retrying")
	over := c.durationFlag("over", 0, "only tasks at least this old")
	under := c.durationFlag("under", 0, "only tasks younger than this")
	tenant := c.fs.String("tenant", "", "only this `tenant`'s tasks")
	limit := c.fs.Int("limit", 100, "list at most `n` tasks (at most 1000)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	if !sluice.TaskAgeKind(*kind).Valid() {
		return usageErrorf("monitor tasks: --kind %q is not running, waiting, orphaned or retrying", *kind)
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	tasks, err := cl.OldestTasks(ctx, pos[0], sluice.TaskAgeQuery{Kind: sluice.TaskAgeKind(*kind), Over: *over, Under: *under, Tenant: *tenant, Limit: *limit})
	if err != nil {
		return err
	}
	if cf.json {
		return printJSONList(st.stdout, tasks, wire.FromTaskStatus)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "ID\tSTATE\tATTEMPT\tTENANT\tAGE\tWORKER\tLAST ERROR\n")
	now := time.Now()
	for _, t := range tasks {
		since := t.CreatedAt
		if t.State == sluice.TaskRunning {
			since = t.StartedAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", t.ID, t.State, t.Attempt, t.Tenant, formatDuration(now.Sub(since).Round(time.Second)), t.Worker, formatBody([]byte(t.LastError), 60))
	}
	return tw.Flush()
}

func runMonitorRulesList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor rules list", "[flags]", `List the Task Monitor's alert rules.`, `sluice monitor rules list`)
	cf := c.clientFlags()
	_, cl, err := c.parseClient(st, cf, args, 0, 0)
	if err != nil {
		return err
	}
	rules, err := cl.Rules(ctx)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSONList(st.stdout, rules, wire.FromAlertRule)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "NAME\tQUEUE\tCONDITION\tTHRESHOLD\tFOR\tREPEAT\tTARGETS\n")
	for _, r := range rules {
		targets := append([]string{}, r.Webhooks...)
		if r.Topic != "" {
			targets = append(targets, "topic:"+r.Topic)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(r.Queue), r.Condition, formatDuration(r.Threshold),
			formatDuration(r.For), formatDuration(r.Repeat), orDash(strings.Join(targets, ",")))
	}
	return tw.Flush()
}

func runMonitorRulesSet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor rules set", "[flags] NAME",
		`Create or replace an alert rule. Conditions: running_age and
waiting_age (per task, at least --threshold old), orphaned (per task whose
lease expired without a result), bucket_count (per queue: more than --count
tasks at least --threshold old) and oldest_age (per queue: its oldest
waiting task at least --threshold old).`,
		`sluice monitor rules set --condition running_age --threshold 45m --repeat 15m --topic alerts stuck-reports
		sluice monitor rules set --queue reports --condition bucket_count --threshold 10m --count 100 --webhook https://hooks.example/x backlog`)
	cf := c.clientFlags()
	var r sluice.AlertRule
	c.fs.StringVar(&r.Queue, "queue", "", "only this tracked `queue` (default: all)")
	c.fs.StringVar(&r.Tenant, "tenant", "", "only this `tenant`'s tasks")
	c.fs.StringVar(&r.Condition, "condition", "", "running_age, waiting_age, orphaned, bucket_count or oldest_age")
	threshold := c.durationFlag("threshold", 0, "age threshold")
	forDur := c.durationFlag("for", 0, "how long the condition must hold before firing")
	repeat := c.durationFlag("repeat", 0, "re-send a firing alert this often (default: once)")
	c.fs.IntVar(&r.Count, "count", 0, "bucket_count: the most tasks allowed over the threshold")
	kind := c.fs.String("kind", "", "bucket_count: count only waiting or running tasks")
	c.fs.StringVar(&r.Topic, "topic", "", "publish notices to this `topic`")
	var hooks stringList
	c.fs.Var(&hooks, "webhook", "POST notices to this `url` (repeatable)")
	labels := keyValues{}
	c.fs.Var(labels, "label", "label as `key=value` (repeatable)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	r.Name, r.Threshold, r.For, r.Repeat, r.Kind, r.Webhooks = pos[0], *threshold, *forDur, *repeat, sluice.TaskAgeKind(*kind), hooks
	if len(labels) > 0 {
		r.Labels = labels
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	got, err := cl.PutRule(ctx, r)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(st.stdout, wire.FromAlertRule(got))
	}
	fmt.Fprintf(st.stdout, "rule %s: %s %s\n", got.Name, got.Condition, formatDuration(got.Threshold))
	return nil
}

func runMonitorRulesDelete(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor rules delete", "[flags] NAME...", `Delete alert rules.`, `sluice monitor rules delete stuck-reports`)
	cf := c.clientFlags()
	pos, err := c.parse(st, args, 1, -1)
	if err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	for _, name := range pos {
		if err := cl.DeleteRule(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(st.stdout, "deleted rule %s\n", name)
	}
	return nil
}

func runMonitorAlerts(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor alerts", "[flags]", `List the active alerts, pending and firing, oldest first.`, `sluice monitor alerts --json`)
	cf := c.clientFlags()
	_, cl, err := c.parseClient(st, cf, args, 0, 0)
	if err != nil {
		return err
	}
	alerts, err := cl.Alerts(ctx)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSONList(st.stdout, alerts, wire.FromAlert)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "RULE\tSTATE\tQUEUE\tTASK\tSINCE\tSUMMARY\n")
	for _, a := range alerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Rule, a.State, a.Queue, orDash(a.Task), formatTime(a.Since), a.Summary)
	}
	return tw.Flush()
}
