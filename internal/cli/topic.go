package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/wire"
)

func runTopicCreate(ctx context.Context, st *streams, args []string) error {
	c := newCmd("topic create", "[flags] NAME",
		`Create a topic. Names follow the rules for queues; FIFO topics end in
".fifo" and feed FIFO queues only. Creating a topic that exists with the
same attributes succeeds; with other attributes it fails.`,
		`sluice topic create orders
		sluice topic create --tag team=billing orders
		sluice topic create --content-based-dedup ledger.fifo`)
	cf := c.clientFlags()
	typ := c.fs.String("type", "", "topic `type`: standard or fifo (default: fifo when the name ends in .fifo)")
	dedup := c.fs.Bool("content-based-dedup", false, "FIFO: deduplicate by body hash when a publish has no dedup id")
	tags := keyValues{}
	c.fs.Var(tags, "tag", "tag as `key=value` (repeatable)")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	cfg := sluice.TopicConfig{Name: pos[0], Type: sluice.QueueType(*typ), ContentBasedDedup: *dedup}
	if len(tags) > 0 {
		cfg.Tags = tags
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	t, err := cl.CreateTopic(ctx, cfg)
	if err != nil {
		return err
	}
	return printTopic(st.stdout, cf.json, t)
}

// printTopic prints one topic's configuration as JSON or as a two-column
// table.
func printTopic(w io.Writer, asJSON bool, t sluice.TopicConfig) error {
	if asJSON {
		return printJSON(w, wire.FromTopicConfig(t))
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "name\t%s\n", t.Name)
	fmt.Fprintf(tw, "type\t%s\n", t.Type)
	fmt.Fprintf(tw, "content-based dedup\t%v\n", t.ContentBasedDedup)
	fmt.Fprintf(tw, "tags\t%s\n", formatTags(t.Tags))
	fmt.Fprintf(tw, "created\t%s\n", formatTime(t.CreatedAt))
	fmt.Fprintf(tw, "updated\t%s\n", formatTime(t.UpdatedAt))
	return tw.Flush()
}

func runTopicList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("topic list", "[flags]",
		`List topics in name order. --prefix keeps the names that start with it;
--limit stops after that many.`,
		`sluice topic list
		sluice topic list --prefix orders --json`)
	cf := c.clientFlags()
	prefix := c.fs.String("prefix", "", "list only names starting with `prefix`")
	limit := c.fs.Int("limit", 0, "list at most `n` topics (default: all)")
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	if *limit < 0 {
		return usageErrorf("topic list: --limit must not be negative")
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	var topics []sluice.TopicConfig
	err = pages(*limit, func(opts client.ListOptions) (string, int, error) {
		opts.Prefix = *prefix
		p, err := cl.ListTopics(ctx, opts)
		topics = append(topics, p.Topics...)
		return p.Next, len(p.Topics), err
	})
	if err != nil {
		return err
	}
	if *limit > 0 && len(topics) > *limit {
		topics = topics[:*limit]
	}
	if cf.json {
		out := make([]wire.Topic, 0, len(topics))
		for _, t := range topics {
			out = append(out, wire.FromTopicConfig(t))
		}
		return printJSON(st.stdout, out)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "NAME\tTYPE\tCONTENT-DEDUP\tTAGS\n")
	for _, t := range topics {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", t.Name, t.Type, t.ContentBasedDedup, formatTags(t.Tags))
	}
	return tw.Flush()
}

// pages calls list with successive pages' options until the last page or
// until limit items (all when zero) have been listed. list returns the
// page's Next and how many items it held.
func pages(limit int, list func(client.ListOptions) (next string, n int, err error)) error {
	var opts client.ListOptions
	total := 0
	for page := 0; ; page++ {
		if page > 100_000 {
			return errors.New("the server keeps returning pages")
		}
		if limit > 0 {
			opts.Limit = min(limit-total, 1000)
		}
		next, n, err := list(opts)
		if err != nil {
			return err
		}
		total += n
		if next == "" || (limit > 0 && total >= limit) {
			return nil
		}
		opts.After = next
	}
}

func runTopicGet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("topic get", "[flags] NAME", `Show a topic's configuration.`,
		`sluice topic get orders
		sluice topic get --json orders`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 1, 1)
	if err != nil {
		return err
	}
	t, err := cl.GetTopic(ctx, pos[0])
	if err != nil {
		return topicErr(pos[0], err)
	}
	return printTopic(st.stdout, cf.json, t)
}

func runTopicDelete(ctx context.Context, st *streams, args []string) error {
	c := newCmd("topic delete", "[flags] NAME...",
		`Delete topics and their subscriptions. Copies already delivered stay in
their queues.`,
		`sluice topic delete orders
		sluice topic delete old-1 old-2`)
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
		if err := cl.DeleteTopic(ctx, name); err != nil {
			return topicErr(name, err)
		}
		deleted = append(deleted, name)
		if !cf.json {
			fmt.Fprintf(st.stdout, "deleted topic %s\n", name)
		}
	}
	if cf.json {
		return printJSON(st.stdout, map[string][]string{"deleted": deleted})
	}
	return nil
}

func runPublish(ctx context.Context, st *streams, args []string) error {
	c := newCmd("publish", "[flags] TOPIC [BODY|-]",
		`Publish a message to a topic: every subscription whose filter policy
matches gets a copy. The body is the BODY argument, or standard input when
BODY is "-" or missing; it must be text (UTF-8). Attributes are
name=Type:value as for "sluice send". FIFO topics need --group, and
--dedup-id unless the topic has content-based deduplication. Prints the
message id and how many subscriptions received it.`,
		`sluice publish orders '{"id": 42}'
		echo hello | sluice publish orders
		sluice publish --subject "new order" --attr kind=created --attr price=Number:150 orders '{"id": 42}'
		sluice publish --group acct-7 --dedup-id tx-42 ledger.fifo '{"amount": 10}'`)
	cf := c.clientFlags()
	attrs := attributes{}
	c.fs.Var(attrs, "attr", "message attribute as `name=Type:value` (repeatable)")
	subject := c.fs.String("subject", "", "`subject` carried in the notification envelope")
	tenant := c.fs.String("tenant", "", "the `tenant` the message belongs to")
	group := c.fs.String("group", "", "FIFO message `group` id")
	dedup := c.fs.String("dedup-id", "", "FIFO deduplication `id`")
	pos, err := c.parse(st, args, 1, 2)
	if err != nil {
		return err
	}
	topic := pos[0]
	var body []byte
	if len(pos) == 2 && pos[1] != "-" {
		body = []byte(pos[1])
	} else {
		body, err = io.ReadAll(io.LimitReader(st.stdin, maxStdinBody+1))
		if err != nil {
			return fmt.Errorf("read body from standard input: %w", err)
		}
		if len(body) > maxStdinBody {
			return fmt.Errorf("body on standard input is larger than %s", formatSize(maxStdinBody))
		}
	}
	in := sluice.PublishInput{Body: body, Subject: *subject, Tenant: *tenant, GroupID: *group, DedupID: *dedup}
	if len(attrs) > 0 {
		in.Attributes = attrs
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	res, err := cl.Publish(ctx, topic, in)
	if err != nil {
		return topicErr(topic, err)
	}
	if cf.json {
		return printJSON(st.stdout, wire.FromPublishResult(res))
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "ID\tSEQUENCE\tDUPLICATE\tDELIVERIES\n")
	fmt.Fprintf(tw, "%s\t%d\t%v\t%d\n", res.ID, res.Sequence, res.Duplicate, res.Deliveries)
	return tw.Flush()
}

func runSubscribe(ctx context.Context, st *streams, args []string) error {
	c := newCmd("subscribe", "[flags] TOPIC --protocol queue|http|https --endpoint X",
		`Subscribe a queue or an HTTP endpoint to a topic. Queue subscriptions
take a queue of the topic's type and are confirmed at once. HTTP and HTTPS
subscriptions are first sent a confirmation request, and get messages once
the endpoint follows its SubscribeURL (or "sluice confirm" is run with its
token); --confirmed skips that for endpoints you trust. --filter-policy takes
an SNS filter policy in JSON, matched against message attributes or, with
--filter-scope MessageBody, against a JSON body. --raw delivers the body
alone instead of an SNS-shaped JSON envelope. Subscribing the same endpoint
again prints the existing subscription.`,
		`sluice subscribe orders --protocol queue --endpoint billing
		sluice subscribe orders --protocol queue --endpoint big-orders --raw --filter-policy '{"price": [{"numeric": [">=", 100]}]}'
		sluice subscribe orders --protocol https --endpoint https://hooks.example.com/orders --max-attempts 10 --dead-letter-queue undeliverable`)
	cf := c.clientFlags()
	protocol := c.fs.String("protocol", "", "`protocol`: queue, http or https (required)")
	endpoint := c.fs.String("endpoint", "", "queue `name` or URL (required)")
	policy := c.fs.String("filter-policy", "", "SNS filter policy as `JSON`")
	scope := c.fs.String("filter-scope", "", "what the policy matches: MessageAttributes (default) or MessageBody")
	raw := c.fs.Bool("raw", false, "deliver the body alone instead of a JSON envelope")
	maxAttempts := c.fs.Int("max-attempts", 0, "HTTP: delivery attempts before giving up (default 5)")
	minBackoff := c.durationFlag("min-backoff", 0, "HTTP: first retry delay (default 1s)")
	maxBackoff := c.durationFlag("max-backoff", 0, "HTTP: cap on the retry delay (default 1m)")
	timeout := c.durationFlag("timeout", 0, "HTTP: per-request timeout (default 15s)")
	maxRate := c.fs.Float64("max-rate", 0, "HTTP: at most `n` deliveries per second (default: unlimited)")
	dlq := c.fs.String("dead-letter-queue", "", "HTTP: `queue` that receives deliveries that exhausted their attempts")
	confirmed := c.fs.Bool("confirmed", false, "HTTP: pre-confirm the subscription without a confirmation request")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	switch {
	case *protocol == "":
		return usageErrorf("subscribe: --protocol is required (queue, http or https)")
	case *endpoint == "":
		return usageErrorf("subscribe: --endpoint is required")
	}
	s := sluice.Subscription{
		Topic: pos[0], Protocol: sluice.Protocol(*protocol), Endpoint: *endpoint,
		FilterPolicy: *policy, FilterScope: *scope, Raw: *raw, DeadLetterQueue: *dlq, Confirmed: *confirmed,
		Delivery: sluice.DeliveryPolicy{MaxAttempts: *maxAttempts, MinBackoff: *minBackoff, MaxBackoff: *maxBackoff, Timeout: *timeout, MaxRate: *maxRate},
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	got, err := cl.Subscribe(ctx, s)
	if err != nil {
		return topicErr(pos[0], err)
	}
	return printSubscription(st.stdout, cf.json, got)
}

// printSubscription prints one subscription as JSON or as a two-column
// table.
func printSubscription(w io.Writer, asJSON bool, s sluice.Subscription) error {
	if asJSON {
		return printJSON(w, wire.FromSubscription(s))
	}
	tw := newTable(w)
	rows := [][2]string{
		{"id", s.ID},
		{"topic", s.Topic},
		{"protocol", string(s.Protocol)},
		{"endpoint", s.Endpoint},
		{"confirmed", fmt.Sprint(s.Confirmed)},
		{"raw", fmt.Sprint(s.Raw)},
		{"filter policy", orDash(s.FilterPolicy)},
		{"filter scope", orDash(s.FilterScope)},
	}
	if s.Delivery != (sluice.DeliveryPolicy{}) {
		d := s.Delivery
		rate := "unlimited"
		if d.MaxRate > 0 {
			rate = fmt.Sprintf("%g/s", d.MaxRate)
		}
		rows = append(rows,
			[2]string{"delivery", fmt.Sprintf("%d attempts, backoff %s to %s, timeout %s, rate %s", d.MaxAttempts,
				formatDuration(d.MinBackoff), formatDuration(d.MaxBackoff), formatDuration(d.Timeout), rate)},
			[2]string{"dead-letter queue", orDash(s.DeadLetterQueue)})
	}
	rows = append(rows, [2]string{"created", formatTime(s.CreatedAt)})
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runSubscriptions(ctx context.Context, st *streams, args []string) error {
	c := newCmd("subscriptions", "[flags] [TOPIC]",
		`List the subscriptions of TOPIC, or of every topic, by topic and then in
the order they were made. The table shortens long filter policies; --json
prints everything.`,
		`sluice subscriptions
		sluice subscriptions orders --json`)
	cf := c.clientFlags()
	limit := c.fs.Int("limit", 0, "list at most `n` subscriptions (default: all)")
	pos, err := c.parse(st, args, 0, 1)
	if err != nil {
		return err
	}
	if *limit < 0 {
		return usageErrorf("subscriptions: --limit must not be negative")
	}
	topic := ""
	if len(pos) == 1 {
		topic = pos[0]
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	var subs []sluice.Subscription
	err = pages(*limit, func(opts client.ListOptions) (string, int, error) {
		p, err := cl.ListSubscriptions(ctx, topic, opts)
		subs = append(subs, p.Subscriptions...)
		return p.Next, len(p.Subscriptions), err
	})
	if err != nil {
		return topicErr(topic, err)
	}
	if *limit > 0 && len(subs) > *limit {
		subs = subs[:*limit]
	}
	if cf.json {
		out := make([]wire.Subscription, 0, len(subs))
		for _, s := range subs {
			out = append(out, wire.FromSubscription(s))
		}
		return printJSON(st.stdout, out)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "ID\tPROTOCOL\tENDPOINT\tCONFIRMED\tRAW\tFILTER\n")
	for _, s := range subs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%s\n", s.ID, s.Protocol, s.Endpoint, s.Confirmed, s.Raw,
			formatBody([]byte(orDash(s.FilterPolicy)), 40))
	}
	return tw.Flush()
}

func runUnsubscribe(ctx context.Context, st *streams, args []string) error {
	c := newCmd("unsubscribe", "[flags] ID...",
		`Delete subscriptions by id ("orders/3f2a…", as "sluice subscriptions"
lists them). Copies already delivered stay where they are.`,
		`sluice unsubscribe orders/0123456789abcdef0123456789abcdef`)
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
	for _, id := range pos {
		if err := cl.Unsubscribe(ctx, id); err != nil {
			if errors.Is(err, sluice.ErrSubscriptionNotFound) {
				return fmt.Errorf("subscription %q does not exist", id)
			}
			return err
		}
		deleted = append(deleted, id)
		if !cf.json {
			fmt.Fprintf(st.stdout, "deleted subscription %s\n", id)
		}
	}
	if cf.json {
		return printJSON(st.stdout, map[string][]string{"deleted": deleted})
	}
	return nil
}

func runConfirm(ctx context.Context, st *streams, args []string) error {
	c := newCmd("confirm", "[flags] TOPIC TOKEN",
		`Confirm a pending HTTP subscription with the token its endpoint was sent
in the SubscriptionConfirmation message, as following its SubscribeURL
would. Prints the confirmed subscription.`,
		`sluice confirm orders 2b0c…`)
	cf := c.clientFlags()
	pos, cl, err := c.parseClient(st, cf, args, 2, 2)
	if err != nil {
		return err
	}
	s, err := cl.ConfirmSubscription(ctx, pos[0], pos[1])
	if err != nil {
		return topicErr(pos[0], err)
	}
	return printSubscription(st.stdout, cf.json, s)
}

// topicErr names the topic in a not-found error, which the server reports
// without quoting it.
func topicErr(name string, err error) error {
	if name != "" && errors.Is(err, sluice.ErrTopicNotFound) {
		return fmt.Errorf("topic %q does not exist", name)
	}
	if errors.Is(err, sluice.ErrTokenInvalid) {
		return fmt.Errorf("the token matches no pending subscription of topic %q", name)
	}
	return err
}
