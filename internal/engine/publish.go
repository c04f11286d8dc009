package engine

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/filter"
)

// A publish is answered once every copy it makes is durable in its
// destination queue. The topic's partition picks the matching subscriptions
// and posts the copies to the destination partitions' mailboxes in publish
// order, so copies reach each queue in the order the topic accepted them
// (FIFO groups keep their order) and a partition never waits on another.

// copyRec is one copy of a published message bound for a queue.
type copyRec struct {
	queue string
	rec   msgRec
}

// join answers once n participants have reported.
type join struct {
	mu    sync.Mutex // guards n and err
	n     int
	err   error
	reply func(error)
}

func (j *join) done(err error) {
	j.mu.Lock()
	if err != nil && j.err == nil {
		j.err = err
	}
	j.n--
	last := j.n == 0
	err = j.err
	j.mu.Unlock()
	if last {
		j.reply(err)
	}
}

// Publish copies messages to every confirmed subscription of the topic
// whose filter they match, and returns once every copy is durable. The
// publisher's cost is one call whatever the number of subscribers.
func (e *Engine) Publish(ctx context.Context, topicName string, msgs []sluice.PublishInput) ([]sluice.PublishResult, error) {
	if len(msgs) == 0 {
		return nil, sluice.Invalid("messages", "must not be empty")
	}
	if len(msgs) > e.limits.MaxSendBatch {
		return nil, &sluice.LimitError{Field: "messages", Limit: int64(e.limits.MaxSendBatch), Got: int64(len(msgs))}
	}
	for i := range msgs {
		if err := e.validatePublish(&msgs[i]); err != nil {
			return nil, sluice.WithField(fmt.Sprintf("messages[%d]", i), err)
		}
	}
	p := e.partitionFor(topicName)
	return call(ctx, p, func(reply func([]sluice.PublishResult, error)) {
		if err := e.writable(); err != nil {
			reply(nil, err)
			return
		}
		t, err := p.topic(topicName)
		if err != nil {
			reply(nil, err)
			return
		}
		now := p.now()
		dedups := make([]string, len(msgs))
		if t.fifo {
			for i, in := range msgs {
				d, err := fifoTokens(in.GroupID, in.DedupID, in.Body, t.cfg.ContentBasedDedup)
				if err != nil {
					reply(nil, sluice.WithField(fmt.Sprintf("messages[%d]", i), err))
					return
				}
				dedups[i] = d
			}
		}
		out := make([]sluice.PublishResult, len(msgs))
		byPartition := map[*partition][]copyRec{}
		for i, in := range msgs {
			if t.fifo {
				if d, ok := t.dedup[dedups[i]]; ok && d.expires > now {
					out[i] = sluice.PublishResult{ID: formatID(d.id), Sequence: d.seq, Duplicate: true}
					continue
				}
			}
			id := p.newID()
			res := sluice.PublishResult{ID: formatID(id)}
			if t.fifo {
				res.Sequence = t.nextSeq
				t.nextSeq++
				expires := now + int64(sluice.DedupWindow)
				t.remember(dedups[i], id, res.Sequence, expires)
				p.log(&op{typ: opTopicDedup, queue: t.id, dedup: dedups[i], msgID: id, seq: res.Sequence, expires: expires})
			}
			t.stats.published++
			var envelope, attrs []byte
			attrsDone := false
			for _, s := range t.subs {
				if !s.cfg.Confirmed {
					continue
				}
				if !s.matches(&in) {
					s.filtered++
					t.stats.filtered++
					continue
				}
				r := msgRec{
					id: p.newID(), sentAt: now, tenant: in.Tenant, group: in.GroupID, dedup: dedups[i],
				}
				if s.cfg.Raw {
					if !attrsDone {
						attrs, attrsDone = encodeAttrs(in.Attributes), true
					}
					r.body, r.attrs = in.Body, attrs
				} else {
					if envelope == nil {
						envelope = e.notification(t.cfg.Name, res.ID, in, now)
					}
					r.body = envelope
				}
				dst := e.partitionFor(s.queue)
				byPartition[dst] = append(byPartition[dst], copyRec{queue: s.queue, rec: r})
				res.Deliveries++
				s.copies++
				t.stats.copies++
			}
			out[i] = res
		}
		j := &join{n: 1 + len(byPartition), reply: func(err error) {
			if err != nil {
				reply(nil, sluice.ErrUnavailable)
				return
			}
			reply(out, nil)
		}}
		for dst, copies := range byPartition {
			insert := func() {
				dst.insertCopies(copies)
				dst.whenDurable(j.done)
			}
			if dst == p {
				insert()
			} else {
				dst.mail.post(insert)
			}
		}
		p.whenDurable(j.done)
	})
}

// insertCopies adds published copies to this partition's queues. Copies for
// queues deleted since the subscription was made are dropped.
func (p *partition) insertCopies(copies []copyRec) {
	now := p.now()
	for _, c := range copies {
		q := p.queues[c.queue]
		if q == nil {
			p.e.log.Debug("dropping a copy for a deleted queue", "queue", c.queue)
			continue
		}
		if q.fifo {
			if d, ok := q.dedup[q.dedupKey(c.rec.group, c.rec.dedup)]; ok && d.expires > now {
				continue
			}
		}
		c.rec.visible = now + int64(q.cfg.Delay)
		p.commitSend(q, c.rec, now)
	}
}

// matches reports whether a published message passes the subscription's
// filter policy.
func (s *subscription) matches(in *sluice.PublishInput) bool {
	if s.policy == nil {
		return true
	}
	if s.policy.Scope() == filter.MessageBody {
		return s.policy.MatchBody(in.Body)
	}
	attrs := make(map[string]filter.Attribute, len(in.Attributes))
	for k, a := range in.Attributes {
		v := a.String
		if a.BaseType() == "Binary" {
			v = base64.StdEncoding.EncodeToString(a.Binary)
		}
		attrs[k] = filter.Attribute{Type: a.Type, Value: v}
	}
	return s.policy.MatchAttributes(attrs)
}

// validatePublish checks one message against the limits.
func (e *Engine) validatePublish(in *sluice.PublishInput) error {
	attrSize, err := e.limits.ValidateAttributes(in.Attributes)
	if err != nil {
		return err
	}
	if size := len(in.Body) + attrSize + len(in.Subject); size > e.limits.MaxMessageSize {
		return &sluice.LimitError{Field: "body", Limit: int64(e.limits.MaxMessageSize), Got: int64(size)}
	}
	if !utf8.Valid(in.Body) {
		return sluice.Invalid("body", "must be valid UTF-8: topic messages are text, as in SNS")
	}
	if len(in.Subject) > 100 || !utf8.ValidString(in.Subject) {
		return sluice.Invalid("subject", "must be at most 100 bytes of UTF-8")
	}
	return e.limits.ValidateTenant("tenant", in.Tenant)
}

// fifoTokens checks a FIFO publish's group and returns its deduplication id.
func fifoTokens(group, dedup string, body []byte, contentBased bool) (string, error) {
	if group == "" {
		return "", sluice.Invalid("group_id", "is required on FIFO topics")
	}
	if err := validToken("group_id", group); err != nil {
		return "", err
	}
	if dedup == "" {
		if !contentBased {
			return "", sluice.Invalid("dedup_id", "is required unless the topic has content-based deduplication")
		}
		sum := sha256.Sum256(body)
		dedup = hex.EncodeToString(sum[:])
	}
	return dedup, validToken("dedup_id", dedup)
}

// notificationDoc is the SNS JSON envelope, with fields in the order SNS
// writes them.
type notificationDoc struct {
	Type              string                   `json:"Type"`
	MessageID         string                   `json:"MessageId"`
	Token             string                   `json:"Token,omitempty"`
	TopicArn          string                   `json:"TopicArn"`
	Subject           string                   `json:"Subject,omitempty"`
	Message           string                   `json:"Message"`
	Timestamp         string                   `json:"Timestamp"`
	SignatureVersion  string                   `json:"SignatureVersion"`
	Signature         string                   `json:"Signature"`
	SigningCertURL    string                   `json:"SigningCertURL"`
	UnsubscribeURL    string                   `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]envelopeValue `json:"MessageAttributes,omitempty"`
}

type envelopeValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// notification returns the SNS-shaped envelope of a published message.
func (e *Engine) notification(topicName, id string, in sluice.PublishInput, now int64) []byte {
	doc := notificationDoc{
		Type: "Notification", MessageID: id, TopicArn: e.topicARN(topicName), Subject: in.Subject,
		Message: string(in.Body), Timestamp: time.Unix(0, now).UTC().Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: "1",
	}
	if len(in.Attributes) > 0 {
		doc.MessageAttributes = make(map[string]envelopeValue, len(in.Attributes))
		for k, a := range in.Attributes {
			v := a.String
			if a.BaseType() == "Binary" {
				v = base64.StdEncoding.EncodeToString(a.Binary)
			}
			doc.MessageAttributes[k] = envelopeValue{Type: a.Type, Value: v}
		}
	}
	b, _ := json.Marshal(doc) // plain strings: cannot fail
	return b
}

func (e *Engine) topicARN(name string) string {
	if e.opts.TopicARN != nil {
		return e.opts.TopicARN(name)
	}
	return "arn:aws:sns:us-east-1:000000000000:" + name
}
