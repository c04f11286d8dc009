package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func runMonitorWatchList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor watch list", "[flags]", `List the Task Monitor's watches of external tasks.`, `sluice monitor watch list`)
	cf := c.clientFlags()
	_, cl, err := c.parseClient(st, cf, args, 0, 0)
	if err != nil {
		return err
	}
	watches, err := cl.Watches(ctx)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSONList(st.stdout, watches, wire.FromWatch)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "NAME\tSTART TOPIC\tID\tCOMPLETION\n")
	for _, w := range watches {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.Name, w.StartTopic, watchID(w), watchCompletion(w))
	}
	return tw.Flush()
}

func watchID(w sluice.Watch) string {
	if w.IDAttribute != "" {
		return "attribute " + w.IDAttribute
	}
	return "body " + w.IDPath
}

func watchCompletion(w sluice.Watch) string {
	var parts []string
	if w.CompleteTopic != "" {
		parts = append(parts, "topic "+w.CompleteTopic)
	}
	if w.StatusURL != "" {
		parts = append(parts, fmt.Sprintf("GET %s every %s", w.StatusURL, formatDuration(w.PollInterval)))
	}
	return strings.Join(parts, ", ")
}

func runMonitorWatchSet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor watch set", "[flags] NAME",
		`Create or replace a watch of external tasks: every message published to
--start-topic starts a task, whose id is the message attribute --id-attribute
or the value at --id-path (dot-separated keys) in its JSON body. The task is
done when a message with the same id arrives on --complete-topic, or when
--status-url (with {id} replaced) answers one of --done-status (default 200)
with a body containing --done-match. A status answer containing
--failed-match, or a completion message with the attribute --error-attribute,
ends the task as dead instead. The tasks appear in the buckets,
listings and alerts as the queue "watch:NAME".`,
		`sluice monitor watch set --start-topic report-jobs --id-path job.id --complete-topic report-done reports
		sluice monitor watch set --start-topic jobs --id-attribute job --status-url 'http://legacy/reports/{id}/status' --poll 2m --done-match complete legacy`)
	cf := c.clientFlags()
	var w sluice.Watch
	c.fs.StringVar(&w.StartTopic, "start-topic", "", "the `topic` whose messages start tasks")
	c.fs.StringVar(&w.IDAttribute, "id-attribute", "", "take the task id from this message `attribute`")
	c.fs.StringVar(&w.IDPath, "id-path", "", "take the task id from this `path` in the JSON body")
	c.fs.StringVar(&w.TenantAttribute, "tenant-attribute", "", "take the tenant from this message `attribute`")
	c.fs.StringVar(&w.CompleteTopic, "complete-topic", "", "the `topic` whose messages finish tasks")
	c.fs.StringVar(&w.StatusURL, "status-url", "", "poll this `url` template ({id} is the task id)")
	poll := c.durationFlag("poll", 0, "how often to poll the status URL (default 1m)")
	var done stringList
	c.fs.Var(&done, "done-status", "an HTTP `status` that means done (repeatable; default 200)")
	c.fs.StringVar(&w.DoneMatch, "done-match", "", "the status answer's body must contain this `text`")
	c.fs.StringVar(&w.FailedMatch, "failed-match", "", "a status answer containing this `text` means the task failed")
	c.fs.StringVar(&w.ErrorAttribute, "error-attribute", "", "a completion message with this `attribute` means the task failed")
	retention := c.durationFlag("retention", 0, "keep finished tasks for lookups this long (default 1h)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	w.Name, w.PollInterval, w.Retention = pos[0], *poll, *retention
	for _, s := range done {
		n, err := strconv.Atoi(s)
		if err != nil {
			return usageErrorf("--done-status %q is not an HTTP status", s)
		}
		w.DoneStatus = append(w.DoneStatus, n)
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	got, err := cl.PutWatch(ctx, w)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(st.stdout, wire.FromWatch(got))
	}
	fmt.Fprintf(st.stdout, "watch %s: tasks from %s by %s, done by %s\n", got.Name, got.StartTopic, watchID(got), watchCompletion(got))
	return nil
}

func runMonitorWatchGet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor watch get", "[flags] NAME [TASK-ID]",
		`Show a watch's settings or, with a task id, the status of one of its
external tasks (running, or finished within the watch's retention).`,
		`sluice monitor watch get legacy
		sluice monitor watch get legacy report-2026-01-01T09`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 1, 2)
	if err != nil {
		return err
	}
	if len(pos) == 2 {
		s, err := cl.WatchTask(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		return printTask(st.stdout, cf.json, s)
	}
	w, err := cl.Watch(ctx, pos[0])
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(st.stdout, wire.FromWatch(w))
	}
	tw := newTable(st.stdout)
	for _, r := range [][2]string{{"name", w.Name}, {"start topic", w.StartTopic}, {"task id", watchID(w)},
		{"tenant attribute", orDash(w.TenantAttribute)}, {"completion", watchCompletion(w)},
		{"done status", fmt.Sprint(w.DoneStatus)}, {"done match", orDash(w.DoneMatch)}, {"failed match", orDash(w.FailedMatch)},
		{"error attribute", orDash(w.ErrorAttribute)}, {"retention", formatDuration(w.Retention)},
		{"queue", w.Queue()}} {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func runMonitorWatchDelete(ctx context.Context, st *streams, args []string) error {
	c := newCmd("monitor watch delete", "[flags] NAME...", `Delete watches with their queues and tasks.`, `sluice monitor watch delete legacy`)
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
		if err := cl.DeleteWatch(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(st.stdout, "deleted watch %s\n", name)
	}
	return nil
}
