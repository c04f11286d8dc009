// Package cli implements the sluice command: `sluice serve` runs a server,
// and the other subcommands drive one through the Go client. It is the only
// place that reads flags and SLUICE_* environment variables; cmd/sluice
// just calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// Exit statuses returned by Main.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command line was wrong
)

// streams are the standard streams a command reads and writes.
type streams struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand or a group of them.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, st *streams, args []string) error
	sub     []*command // for groups such as "queue"
}

// commands returns the command tree. It is a function, not a variable, so
// the package holds no global state.
func commands() []*command {
	return []*command{
		{name: "serve", summary: "run a Sluice server", run: runServe},
		{name: "queue", summary: "create, list, inspect, change and delete queues", sub: []*command{
			{name: "create", summary: "create a queue", run: runQueueCreate},
			{name: "list", summary: "list queues", run: runQueueList},
			{name: "get", summary: "show a queue's configuration", run: runQueueGet},
			{name: "update", summary: "change a queue's attributes and tags", run: runQueueUpdate},
			{name: "delete", summary: "delete queues and their messages", run: runQueueDelete},
			{name: "purge", summary: "delete every message in a queue", run: runQueuePurge},
		}},
		{name: "send", summary: "send messages to a queue", run: runSend},
		{name: "receive", summary: "receive messages from a queue", run: runReceive},
		{name: "ack", summary: "acknowledge (delete) received messages", run: runAck},
		{name: "nack", summary: "return received messages to their queue, optionally after a delay", run: runNack},
		{name: "stats", summary: "show queue statistics", run: runStats},
		{name: "redrive", summary: "move messages out of a dead-letter queue", run: runRedrive},
		{name: "task", summary: "show, list and wait for tracked queues' tasks", sub: []*command{
			{name: "get", summary: "show a task's status", run: runTaskGet},
			{name: "list", summary: "list a tracked queue's tasks", run: runTaskList},
			{name: "wait", summary: "wait until a task is finished", run: runTaskWait},
		}},
		{name: "monitor", summary: "the Task Monitor: age buckets, oldest tasks, alert rules, alerts and watches", sub: []*command{
			{name: "buckets", summary: "count active tasks by age", run: runMonitorBuckets},
			{name: "tasks", summary: "list active tasks oldest first", run: runMonitorTasks},
			{name: "rules", summary: "list, set and delete alert rules", sub: []*command{
				{name: "list", summary: "list alert rules", run: runMonitorRulesList},
				{name: "set", summary: "create or replace an alert rule", run: runMonitorRulesSet},
				{name: "delete", summary: "delete alert rules", run: runMonitorRulesDelete},
			}},
			{name: "alerts", summary: "list active alerts", run: runMonitorAlerts},
			{name: "watch", summary: "list, set and delete watches of external tasks", sub: []*command{
				{name: "list", summary: "list watches", run: runMonitorWatchList},
				{name: "set", summary: "create or replace a watch", run: runMonitorWatchSet},
				{name: "get", summary: "show a watch, or one of its tasks", run: runMonitorWatchGet},
				{name: "delete", summary: "delete watches and their tasks", run: runMonitorWatchDelete},
			}},
		}},
		{name: "topic", summary: "create, list, inspect and delete topics", sub: []*command{
			{name: "create", summary: "create a topic", run: runTopicCreate},
			{name: "list", summary: "list topics", run: runTopicList},
			{name: "get", summary: "show a topic's configuration", run: runTopicGet},
			{name: "delete", summary: "delete topics and their subscriptions", run: runTopicDelete},
		}},
		{name: "publish", summary: "publish a message to a topic's subscribers", run: runPublish},
		{name: "subscribe", summary: "subscribe a queue or an HTTP endpoint to a topic", run: runSubscribe},
		{name: "subscriptions", summary: "list subscriptions", run: runSubscriptions},
		{name: "unsubscribe", summary: "delete subscriptions", run: runUnsubscribe},
		{name: "confirm", summary: "confirm an HTTP subscription with its token", run: runConfirm},
		{name: "tenant", summary: "show tenants' statistics and set their tiers and limits", sub: []*command{
			{name: "list", summary: "list tenant settings, or a queue's tenants noisiest first", run: runTenantList},
			{name: "get", summary: "show a tenant's setting and statistics", run: runTenantGet},
			{name: "set", summary: "set a tenant's tier, weight, rate limit and in-flight cap", run: runTenantSet},
		}},
		{name: "tier", summary: "list and set tiers, the named policies tenants are assigned to", sub: []*command{
			{name: "list", summary: "list tiers", run: runTierList},
			{name: "set", summary: "create or replace a tier", run: runTierSet},
		}},
		{name: "cluster", summary: "inspect a cluster running on NATS JetStream", sub: []*command{
			{name: "status", summary: "show nodes, partitions, owners and replica lag", run: runClusterStatus},
		}},
		{name: "bench", summary: "measure throughput and latency, and check for lost or duplicated messages", run: runBench},
		{name: "version", summary: "print the version", run: runVersion},
	}
}

// Main runs the sluice command line. args excludes the program name. It
// writes results to stdout, errors to stderr as one line starting with
// "sluice: ", and returns the exit status: 0 on success, 1 when the command
// failed, 2 when the command line was wrong.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	st := &streams{stdin: stdin, stdout: stdout, stderr: stderr}
	err := dispatch(ctx, st, commands(), nil, args)
	switch {
	case err == nil || errors.Is(err, errHelpShown):
		return exitOK
	case isUsage(err):
		fmt.Fprintf(stderr, "sluice: %v\n", err)
		return exitUsage
	default:
		// Batch commands may join several errors: one line each.
		for line := range strings.SplitSeq(describe(err), "\n") {
			fmt.Fprintf(stderr, "sluice: %s\n", line)
		}
		return exitFailure
	}
}

// dispatch finds the command named by args[0] among cmds and runs it.
// path holds the names of the enclosing groups.
func dispatch(ctx context.Context, st *streams, cmds []*command, path []string, args []string) error {
	if len(args) == 0 {
		groupUsage(st.stderr, path, cmds)
		if len(path) == 0 {
			return usageErrorf("no command given")
		}
		return usageErrorf("%s: no subcommand given", strings.Join(path, " "))
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		groupUsage(st.stdout, path, cmds)
		return errHelpShown
	}
	for _, c := range cmds {
		if c.name != name {
			continue
		}
		if c.sub != nil {
			return dispatch(ctx, st, c.sub, append(path, name), args[1:])
		}
		return c.run(ctx, st, args[1:])
	}
	where := "sluice"
	if len(path) > 0 {
		where = "sluice " + strings.Join(path, " ")
	}
	return usageErrorf("unknown command %q (see '%s --help')", name, where)
}

// groupUsage prints the commands of a group.
func groupUsage(w io.Writer, path []string, cmds []*command) {
	name := strings.Join(append([]string{"sluice"}, path...), " ")
	if len(path) == 0 {
		fmt.Fprint(w, `Sluice is a self-hosted queue server with SQS- and SNS-compatible APIs.
"sluice serve" runs the server; the other commands talk to one through its
native API (--server, default `+defaultServer+`, or $SLUICE_SERVER).

`)
	}
	fmt.Fprintf(w, "Usage:\n  %s <command> [flags] [arguments]\n\nCommands:\n", name)
	tw := newTable(w)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags and examples.\n", name)
}

// errHelpShown reports that --help was answered; Main exits 0.
var errHelpShown = errors.New("help shown")

// usageError is a mistake on the command line; Main exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

// describe turns an error from a command into the text after "sluice: ",
// naming the field of invalid arguments and explaining connection failures.
func describe(err error) string {
	var ce *client.Error
	if errors.As(err, &ce) {
		msg := err.Error()
		if ce.Field != "" && !strings.Contains(msg, ce.Field) {
			msg += " (field " + ce.Field + ")"
		}
		return msg
	}
	var ia *sluice.InvalidArgumentError
	if errors.As(err, &ia) {
		return err.Error()
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return err.Error() + ": is the server running? (sluice serve)"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err.Error() + ": the server did not answer in time"
	}
	return err.Error()
}

// cmd is one command's flag set and help text.
type cmd struct {
	fs       *flag.FlagSet
	path     string // "queue create"
	synopsis string // "[flags] NAME"
	doc      string // one paragraph
	examples string // lines of example invocations
}

// newCmd returns a cmd whose flag set prints nothing by itself: parse
// reports errors and shows help.
func newCmd(path, synopsis, doc, examples string) *cmd {
	fs := flag.NewFlagSet("sluice "+path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmd{fs: fs, path: path, synopsis: synopsis, doc: doc, examples: examples}
}

// usage writes the command's help.
func (c *cmd) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n  sluice %s %s\n\n%s\n", c.path, c.synopsis, strings.TrimSpace(c.doc))
	var flags []*flag.Flag
	c.fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	if len(flags) > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
		tw := newTable(w)
		for _, f := range flags {
			name, help := flag.UnquoteUsage(f)
			if name == "value" {
				name = placeholder(f.Value)
			}
			arg := "--" + f.Name
			if name != "" {
				arg += " " + name
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				help += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(tw, "  %s\t%s\n", arg, help)
		}
		tw.Flush()
	}
	if ex := strings.TrimSpace(c.examples); ex != "" {
		fmt.Fprintf(w, "\nExamples:\n")
		for line := range strings.SplitSeq(ex, "\n") {
			fmt.Fprintf(w, "  %s\n", strings.TrimSpace(line))
		}
	}
}

// parse parses args, allowing flags after positional arguments (a "--"
// ends the flags), and checks the count of positional arguments against
// min and max (max < 0: any). --help prints the usage to stdout and
// returns errHelpShown.
func (c *cmd) parse(st *streams, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.usage(st.stdout)
			return nil, errHelpShown
		}
		if err != nil {
			return nil, usageErrorf("%s: %v (see 'sluice %s --help')", c.path, err, c.path)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < min:
		return nil, usageErrorf("%s: want %s (see 'sluice %s --help')", c.path, c.synopsis, c.path)
	case max >= 0 && len(pos) > max:
		return nil, usageErrorf("%s: unexpected argument %q (see 'sluice %s --help')", c.path, pos[max], c.path)
	}
	return pos, nil
}

// placeholder names the argument of a flag of a custom type in help.
func placeholder(v flag.Value) string {
	switch v.(type) {
	case durationValue:
		return "duration"
	case sizeValue:
		return "size"
	case keyValues:
		return "key=value"
	case attributes:
		return "name=Type:value"
	case *stringList:
		return "string"
	}
	return "value"
}

// isSet reports whether the flag name was given on the command line.
func (c *cmd) isSet(name string) bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// envOr returns the value of the environment variable key, or def when it
// is unset or empty.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
