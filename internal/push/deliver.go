package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

// SNS message types, as in the x-amz-sns-message-type header.
const (
	typeNotification = "Notification"
	typeConfirmation = "SubscriptionConfirmation"
)

// userAgent is the User-Agent of every delivery.
const userAgent = "Sluice-Notification-Agent"

// drainLimit is how much of a response body is read so that its
// connection can be reused; the body is otherwise ignored.
const drainLimit = 64 << 10

// deliverAll is a target's goroutine: it receives batches from the
// target's queue and delivers them until ctx is done or the queue is gone.
func (w *Worker) deliverAll(ctx context.Context, r *running) {
	first := r.target.Load()
	log := w.log.With("subscription", first.Subscription)
	defer log.Debug("push: stopped delivering subscription", "queue", first.Queue)
	lim := newLimiter(first.Delivery.MaxRate)
	wait := w.opts.WaitTime
	for ctx.Err() == nil {
		t := *r.target.Load()
		t.Delivery = t.Delivery.WithDefaults()
		batch := maxBatch
		if rate := t.Delivery.MaxRate; rate > 0 {
			// A batch should not take much more than a second of the
			// rate limit, which its lease must cover.
			batch = min(max(int(rate), 1), maxBatch)
		}
		vis := t.Delivery.Timeout + leaseMargin + time.Duration(batch)*lim.spacing()
		msgs, err := w.e.Receive(ctx, t.Queue, sluice.ReceiveOptions{Max: batch, VisibilityTimeout: &vis, WaitTime: &wait})
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, sluice.ErrQueueNotFound):
			return
		case err != nil:
			log.Warn("push: cannot receive from the subscription's queue; retrying", "queue", t.Queue, "err", err)
			if !sleep(ctx, errorPause) {
				return
			}
			continue
		}
		var wg sync.WaitGroup
		for _, m := range msgs {
			if lim.wait(ctx) != nil {
				break // stopping: the rest reappear after their lease
			}
			wg.Go(func() { w.deliver(ctx, log, &t, m) })
		}
		wg.Wait()
	}
}

// deliver sends one message and then acks it, retries it later or gives up
// on it, as the package comment describes.
func (w *Worker) deliver(ctx context.Context, log *slog.Logger, t *engine.PushTarget, m sluice.Message) {
	d := w.prepare(t, m)
	start := time.Now()
	err := w.post(ctx, t, d)
	took := time.Since(start)
	if err != nil && ctx.Err() != nil {
		// Stopping, not a failed attempt: the message reappears after its
		// lease and is delivered then.
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err == nil {
		w.stats.record(t.Subscription, t.Topic, Delivered, took)
		w.settle(sctx, log, t, m, 0, true)
		log.Debug("push: delivered", "message_id", d.id, "attempt", m.ReceiveCount)
		return
	}
	attrs := []any{"message_id", d.id, "type", d.kind, "attempts", m.ReceiveCount, "err", err}
	switch {
	case m.ReceiveCount < t.Delivery.MaxAttempts:
		delay := backoff(t.Delivery, m.ReceiveCount, w.opts.Rand())
		w.stats.record(t.Subscription, t.Topic, Retried, took)
		w.settle(sctx, log, t, m, delay, false)
		log.Debug("push: delivery failed; will retry", append(attrs, "retry_in", delay)...)
	case t.DeadLetter && m.ReceiveCount > t.Delivery.MaxAttempts:
		// The move to the dead-letter queue failed (it was deleted, as the
		// SQS API allows): the message stays, retried at the longest
		// backoff rather than at once.
		delay := t.Delivery.MaxBackoff
		w.stats.record(t.Subscription, t.Topic, Retried, took)
		w.settle(sctx, log, t, m, delay, false)
		log.Warn("push: delivery failed after its last attempt and the dead-letter queue did not take it; will retry", append(attrs, "retry_in", delay)...)
	case t.DeadLetter:
		// The queue's dead-letter policy moves it on the next receive.
		w.stats.record(t.Subscription, t.Topic, DeadLettered, took)
		w.settle(sctx, log, t, m, 0, false)
		log.Info("push: delivery failed its last attempt; moving it to the dead-letter queue", attrs...)
	default:
		w.stats.record(t.Subscription, t.Topic, Dropped, took)
		w.settle(sctx, log, t, m, 0, true)
		log.Warn("push: delivery failed its last attempt; dropped it (the subscription has no dead-letter queue)", attrs...)
	}
}

// settle acks m, or sets its visibility to delay.
func (w *Worker) settle(ctx context.Context, log *slog.Logger, t *engine.PushTarget, m sluice.Message, delay time.Duration, ack bool) {
	var errs []error
	var err error
	if ack {
		errs, err = w.e.Ack(ctx, t.Queue, []string{m.Receipt})
	} else {
		errs, err = w.e.ChangeVisibility(ctx, t.Queue, []sluice.VisibilityChange{{Receipt: m.Receipt, Timeout: delay}})
	}
	if err == nil && len(errs) > 0 {
		err = errs[0]
	}
	if err != nil {
		// The message reappears when its lease ends and is delivered again.
		log.Warn("push: cannot record a delivery's outcome; it will be delivered again", "queue", t.Queue, "message", m.ID, "ack", ack, "err", err)
	}
}

// delivery is one message as it is sent.
type delivery struct {
	body []byte
	kind string // typeNotification or typeConfirmation
	id   string // the SNS message id: the envelope's, or the queue message's for raw bodies
	raw  bool   // a raw notification
}

// prepare returns the request body and headers' values for m. The
// subscription's confirmation request is known by its message id and gets
// its SubscribeURL; a raw subscription's other messages are raw
// notifications; an enveloped notification carries its own type and id.
func (w *Worker) prepare(t *engine.PushTarget, m sluice.Message) delivery {
	d := delivery{body: m.Body, kind: typeNotification, id: m.ID, raw: t.Raw}
	isConfirmation := t.Confirmation != "" && m.ID == t.Confirmation
	if t.Raw && !isConfirmation {
		return d
	}
	var env confirmation
	if err := json.Unmarshal(m.Body, &env); err != nil || env.Type == "" || env.MessageID == "" {
		return d
	}
	if !isConfirmation && env.Type == typeConfirmation {
		// A published body that looks like a confirmation request is
		// delivered as the notification it is.
		env.Type = typeNotification
	}
	d.kind, d.id, d.raw = env.Type, env.MessageID, false
	if isConfirmation {
		d.kind = typeConfirmation
		env.SubscribeURL = w.subscribeURL(t.Topic, env.Token)
		d.body = marshal(env)
	}
	return d
}

// confirmation is the SNS SubscriptionConfirmation envelope, in the order
// of SNS's fields. Only its type and id are read from notifications.
type confirmation struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
}

// subscribeURL returns the link that confirms a subscription of topic: the
// native API's GET /v1/topics/{topic}/confirm.
func (w *Worker) subscribeURL(topic, token string) string {
	return strings.TrimSuffix(w.opts.BaseURL, "/") + "/v1/topics/" + url.PathEscape(topic) + "/confirm?token=" + url.QueryEscape(token)
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // strings only: cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// post sends d to the target's endpoint within the delivery timeout and
// returns nil on a 2xx response.
func (w *Worker) post(ctx context.Context, t *engine.PushTarget, d delivery) error {
	ctx, cancel := context.WithTimeout(ctx, t.Delivery.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Endpoint, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("User-Agent", userAgent)
	h.Set("x-amz-sns-message-type", d.kind)
	h.Set("x-amz-sns-message-id", d.id)
	h.Set("x-amz-sns-topic-arn", t.TopicARN)
	h.Set("x-amz-sns-subscription-arn", subscriptionARN(t))
	if d.raw {
		h.Set("x-amz-sns-rawdelivery", "true")
	}
	resp, err := w.opts.HTTPClient.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no response within %v", t.Delivery.Timeout)
		}
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

// subscriptionARN returns the ARN SNS would give the target's
// subscription: the topic's ARN and the subscription id's hex part.
func subscriptionARN(t *engine.PushTarget) string {
	_, uid, _ := strings.Cut(t.Subscription, "/")
	return t.TopicARN + ":" + uid
}

// sleep waits for d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
