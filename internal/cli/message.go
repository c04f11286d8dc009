package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// maxStdinBody bounds how much of stdin send reads; the server enforces the
// real limit, which is never larger.
const maxStdinBody = 64 << 20

// sendBatchSize is how many copies send --count puts in one request.
const sendBatchSize = 100

func runSend(ctx context.Context, st *streams, args []string) error {
	c := newCmd("send", "[flags] QUEUE [BODY|-]",
		`Send a message. The body is the BODY argument, or standard input when
BODY is "-" or missing. Attributes are name=Type:value, where Type is
String, Number or Binary (base64 value), optionally with a custom suffix
such as Number.float; name=value is a String. --count sends that many
copies, in batches, and prints the rate: a quick load generator.`,
		`sluice send orders '{"id": 42}'
		echo hello | sluice send orders
		sluice send --attr priority=Number:5 --attr kind=email --tenant acme orders 'welcome'
		sluice send --group customer-7 --dedup-id order-42 payments.fifo '{"amount": 10}'
		sluice send --count 10000 orders ping`)
	cf := c.clientFlags()
	attrs := attributes{}
	c.fs.Var(attrs, "attr", "message attribute as `name=Type:value` (repeatable)")
	tenant := c.fs.String("tenant", "", "the `tenant` the message belongs to")
	group := c.fs.String("group", "", "FIFO message `group` id")
	dedup := c.fs.String("dedup-id", "", "FIFO deduplication `id`")
	delay := c.durationFlag("delay", 0, "delay before the message becomes visible (default: the queue's)")
	count := c.fs.Int("count", 1, "send `n` copies")
	pos, err := c.parse(st, args, 1, 2)
	if err != nil {
		return err
	}
	if *count < 1 {
		return usageErrorf("send: --count must be at least 1")
	}
	queue := pos[0]
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
	in := sluice.SendInput{Body: body, Tenant: *tenant, GroupID: *group, DedupID: *dedup}
	if len(attrs) > 0 {
		in.Attributes = attrs
	}
	if c.isSet("delay") {
		in.Delay = delay
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	if *count == 1 {
		res, err := cl.Send(ctx, queue, in)
		if err != nil {
			return queueErr(queue, err)
		}
		return printSendResults(st.stdout, cf.json, []sluice.SendResult{res})
	}

	start := time.Now()
	results := make([]sluice.SendResult, 0, *count)
	for len(results) < *count {
		batch := make([]sluice.SendInput, min(sendBatchSize, *count-len(results)))
		for i := range batch {
			batch[i] = in
		}
		res, err := cl.SendBatch(ctx, queue, batch)
		if err != nil {
			if len(results) > 0 {
				err = fmt.Errorf("after %d messages: %w", len(results), queueErr(queue, err))
			}
			return queueErr(queue, err)
		}
		results = append(results, res...)
	}
	elapsed := time.Since(start)
	if cf.json {
		return printSendResults(st.stdout, true, results)
	}
	fmt.Fprintf(st.stdout, "sent %d messages to %s in %v (%.0f msg/s)\n",
		len(results), queue, elapsed.Round(time.Millisecond), float64(len(results))/elapsed.Seconds())
	return nil
}

func printSendResults(w io.Writer, asJSON bool, results []sluice.SendResult) error {
	if asJSON {
		out := make([]wire.SendResult, len(results))
		for i, r := range results {
			out[i] = wire.FromSendResult(r)
		}
		return printJSON(w, out)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "ID\tSEQUENCE\tDUPLICATE\n")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%v\n", r.ID, r.Sequence, r.Duplicate)
	}
	return tw.Flush()
}

func runReceive(ctx context.Context, st *streams, args []string) error {
	c := newCmd("receive", "[flags] QUEUE",
		`Receive up to --max messages, waiting up to --wait for the first one.
Received messages stay invisible for the visibility timeout; acknowledge
them with "sluice ack QUEUE RECEIPT", or pass --ack to acknowledge them as
soon as they are printed. The table shortens long bodies; --json prints
everything.`,
		`sluice receive orders
		sluice receive --max 10 --wait 20s orders
		sluice receive --ack --json orders`)
	cf := c.clientFlags()
	max := c.fs.Int("max", 1, "receive at most `n` messages")
	wait := c.durationFlag("wait", 0, "long-poll for up to this long when no message is ready (default: the queue's receive wait)")
	visibility := c.durationFlag("visibility-timeout", 0, "keep the messages invisible this long (default: the queue's)")
	ack := c.fs.Bool("ack", false, "acknowledge the messages once printed")
	pos, err := c.parse(st, args, 1, 1)
	if err != nil {
		return err
	}
	if *max < 1 {
		return usageErrorf("receive: --max must be at least 1")
	}
	queue := pos[0]
	opts := sluice.ReceiveOptions{Max: *max}
	if c.isSet("wait") {
		opts.WaitTime = wait
	}
	if c.isSet("visibility-timeout") {
		opts.VisibilityTimeout = visibility
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	msgs, err := cl.Receive(ctx, queue, opts)
	if err != nil {
		return queueErr(queue, err)
	}
	if cf.json {
		out := make([]wire.Message, len(msgs))
		for i, m := range msgs {
			out[i] = wire.FromMessage(m)
		}
		if err := printJSON(st.stdout, out); err != nil {
			return err
		}
	} else if len(msgs) == 0 {
		fmt.Fprintf(st.stdout, "no messages\n")
	} else {
		tw := newTable(st.stdout)
		fmt.Fprintf(tw, "ID\tRECEIVES\tSENT\tBODY\tRECEIPT\n")
		for _, m := range msgs {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.ID, m.ReceiveCount, formatTime(m.SentAt), formatBody(m.Body, 60), m.Receipt)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if !*ack || len(msgs) == 0 {
		return nil
	}
	receipts := make([]string, len(msgs))
	for i, m := range msgs {
		receipts[i] = m.Receipt
	}
	return ackAll(ctx, cl, queue, receipts)
}

// ackAll acknowledges receipts in batches and reports every receipt that
// failed.
func ackAll(ctx context.Context, cl ackClient, queue string, receipts []string) error {
	var errs []error
	for len(receipts) > 0 {
		n := min(len(receipts), 1000)
		batch := receipts[:n]
		receipts = receipts[n:]
		results, err := cl.AckBatch(ctx, queue, batch)
		if err != nil {
			return queueErr(queue, err)
		}
		for i, err := range results {
			if err != nil {
				errs = append(errs, fmt.Errorf("ack %s: %w", shortReceipt(batch[i]), err))
			}
		}
	}
	return errors.Join(errs...)
}

// ackClient is the part of the client that ackAll needs.
type ackClient interface {
	AckBatch(ctx context.Context, queue string, receipts []string) ([]error, error)
}

// shortReceipt abbreviates a receipt for error messages.
func shortReceipt(r string) string {
	if len(r) > 16 {
		return r[:16] + "…"
	}
	return r
}

func runAck(ctx context.Context, st *streams, args []string) error {
	c := newCmd("ack", "[flags] QUEUE RECEIPT...",
		`Acknowledge received messages, deleting them. Each RECEIPT comes from
"sluice receive"; a receipt goes stale once its message is received again.`,
		`sluice ack orders AQAAAB...`)
	cf := c.clientFlags()
	pos, err := c.parse(st, args, 2, -1)
	if err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	queue, receipts := pos[0], pos[1:]
	if err := ackAll(ctx, cl, queue, receipts); err != nil {
		return err
	}
	if cf.json {
		return printJSON(st.stdout, map[string]any{"queue": queue, "acked": len(receipts)})
	}
	fmt.Fprintf(st.stdout, "acked %d messages\n", len(receipts))
	return nil
}

func runNack(ctx context.Context, st *streams, args []string) error {
	c := newCmd("nack", "[flags] QUEUE RECEIPT...",
		`Return received messages to their queue without acknowledging them:
they become visible again after --delay (at once by default) and count a
receive toward the dead-letter queue's limit.`,
		`sluice nack orders AQAAAB...
		sluice nack --delay 30s orders AQAAAB... AQAAAC...`)
	cf := c.clientFlags()
	delay := c.durationFlag("delay", 0, "make the messages visible again after this long")
	pos, err := c.parse(st, args, 2, -1)
	if err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	queue, receipts := pos[0], pos[1:]
	var errs []error
	for _, r := range receipts {
		if err := cl.Nack(ctx, queue, r, *delay); err != nil {
			if errors.Is(err, sluice.ErrQueueNotFound) {
				return queueErr(queue, err)
			}
			errs = append(errs, fmt.Errorf("nack %s: %w", shortReceipt(r), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if cf.json {
		return printJSON(st.stdout, map[string]any{"queue": queue, "nacked": len(receipts)})
	}
	fmt.Fprintf(st.stdout, "returned %d messages to %s\n", len(receipts), queue)
	return nil
}
