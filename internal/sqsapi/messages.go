package sqsapi

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

// maxBatch is SQS's limit on entries per batch call.
const maxBatch = 10

func itoa(n int) string { return strconv.Itoa(n) }

// validBody reports whether s holds only characters SQS accepts in a
// message body: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and
// #x10000 to #x10FFFF, in valid UTF-8.
func validBody(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return validRunes(s[i:])
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func validRunes(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}

// messageAttributes converts SQS message attributes to the engine's.
func messageAttributes(in map[string]attributeValue) (map[string]sluice.Attribute, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]sluice.Attribute, len(in))
	for name, v := range in {
		a := sluice.Attribute{Type: v.DataType}
		if v.DataType == "" {
			return nil, awswire.InvalidParameter("The message attribute '%s' must contain a non-empty message attribute type.", name)
		}
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return nil, awswire.InvalidParameter("The message attribute '%s' uses list values, which SQS reserves and Sluice does not support.", name)
		}
		switch a.BaseType() {
		case "String", "Number":
			if v.StringValue == nil || v.BinaryValue != nil {
				return nil, awswire.InvalidParameter("The message attribute '%s' with type '%s' must use field 'String'.", name, v.DataType)
			}
			if !validBody(*v.StringValue) {
				return nil, invalidContents()
			}
			a.String = *v.StringValue
		case "Binary":
			if v.BinaryValue == nil || v.StringValue != nil {
				return nil, awswire.InvalidParameter("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
			a.Binary = v.BinaryValue
		default:
			return nil, awswire.InvalidParameter("The type of message attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		out[name] = a
	}
	return out, nil
}

// traceHeader returns the AWSTraceHeader system attribute, the only one
// SQS accepts on sends.
func traceHeader(sys map[string]attributeValue) (string, map[string]sluice.Attribute, error) {
	if len(sys) == 0 {
		return "", nil, nil
	}
	for name, v := range sys {
		if name != "AWSTraceHeader" {
			return "", nil, awswire.InvalidParameter("Message system attribute name '%s' is invalid.", name)
		}
		if v.DataType != "String" || v.StringValue == nil || *v.StringValue == "" {
			return "", nil, awswire.InvalidParameter("Message system attribute '%s' must be a non-empty String.", name)
		}
	}
	s := *sys["AWSTraceHeader"].StringValue
	return s, map[string]sluice.Attribute{"AWSTraceHeader": {Type: "String", String: s}}, nil
}

// sendEntry is one message to send, with the digests of what was sent.
type sendEntry struct {
	in                        sluice.SendInput
	md5Body, md5Attrs, md5Sys string
}

// prepareSend checks one message against the queue cfg and SQS's rules.
func (h *Handler) prepareSend(cfg sluice.QueueConfig, body *string, delay *int, attrs, sys map[string]attributeValue, dedup, group string) (sendEntry, error) {
	var e sendEntry
	if body == nil || *body == "" {
		return e, awswire.MissingParameter("MessageBody")
	}
	if !validBody(*body) {
		return e, invalidContents()
	}
	fifo := cfg.Type == sluice.FIFO
	e.in.Body = []byte(*body)
	if delay != nil {
		if fifo {
			return e, awswire.InvalidParameterValue("DelaySeconds", itoa(*delay), "The request include parameter that is not valid for this queue type.")
		}
		if *delay < 0 || *delay > maxDelaySeconds {
			return e, awswire.InvalidParameterValue("DelaySeconds", itoa(*delay), "DelaySeconds must be >= 0 and <= 900.")
		}
		d := time.Duration(*delay) * time.Second
		e.in.Delay = &d
	}
	var err error
	if e.in.Attributes, err = messageAttributes(attrs); err != nil {
		return e, err
	}
	var sysAttrs map[string]sluice.Attribute
	if e.in.TraceHeader, sysAttrs, err = traceHeader(sys); err != nil {
		return e, err
	}
	if fifo {
		if group == "" {
			return e, awswire.MissingParameter("MessageGroupId")
		}
		if dedup == "" && !cfg.ContentBasedDedup {
			return e, awswire.InvalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		e.in.GroupID, e.in.DedupID = group, dedup
	} else {
		if dedup != "" {
			return e, awswire.InvalidParameterValue("MessageDeduplicationId", dedup, "The request include parameter that is not valid for this queue type.")
		}
		if len(group) > 128 {
			return e, awswire.InvalidParameterValue("MessageGroupId", group, "MessageGroupId can be at most 128 characters long.")
		}
		e.in.Tenant = group // the tenant of a fair queue
	}
	e.md5Body = awswire.MD5OfBody(e.in.Body)
	e.md5Attrs = awswire.MD5OfAttributes(e.in.Attributes)
	e.md5Sys = awswire.MD5OfAttributes(sysAttrs)
	return e, nil
}

func sequenceNumber(cfg sluice.QueueConfig, seq uint64) string {
	if cfg.Type != sluice.FIFO {
		return ""
	}
	return strconv.FormatUint(seq, 10)
}

func (h *Handler) sendMessage(r *awswire.Request) (any, error) {
	var in sendMessageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	cfg, err := h.engine.GetQueue(ctx, name)
	if err != nil {
		return nil, err
	}
	e, err := h.prepareSend(cfg, in.MessageBody, in.DelaySeconds, in.MessageAttributes, in.MessageSystemAttributes, in.MessageDeduplicationId, in.MessageGroupId)
	if err != nil {
		return nil, err
	}
	res, err := h.engine.Send(ctx, name, []sluice.SendInput{e.in})
	if err != nil {
		return nil, err
	}
	return sendMessageOutput{
		MessageId: res[0].ID, MD5OfMessageBody: e.md5Body, MD5OfMessageAttributes: e.md5Attrs,
		MD5OfMessageSystemAttributes: e.md5Sys, SequenceNumber: sequenceNumber(cfg, res[0].Sequence),
	}, nil
}

// checkBatchIDs applies SQS's whole-request checks to a batch's entry ids.
func checkBatchIDs(ids []string) error {
	if len(ids) == 0 {
		return errEmptyBatch
	}
	if len(ids) > maxBatch {
		return tooManyEntries(len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 80 || strings.IndexFunc(id, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) >= 0 {
			return errInvalidBatchEntryID
		}
		if seen[id] {
			return idsNotDistinct(id)
		}
		seen[id] = true
	}
	return nil
}

// entryError returns the batch result of a failed entry, or nil when err
// is not one a client caused (the caller reports those as internal).
func entryError(r *awswire.Request, id string, err error) *batchError {
	e := errorOf(r.HTTP.Context(), err)
	if e == nil {
		return nil
	}
	return &batchError{Id: id, SenderFault: !e.Receiver, Code: e.ClientCode(), Message: e.Message}
}

func (h *Handler) sendMessageBatch(r *awswire.Request) (any, error) {
	var in sendMessageBatchInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	size := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		if e.MessageBody != nil {
			size += len(*e.MessageBody)
		}
		for k, a := range e.MessageAttributes {
			size += len(k) + len(a.DataType) + len(a.BinaryValue)
			if a.StringValue != nil {
				size += len(*a.StringValue)
			}
		}
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	if size > h.limits.MaxMessageSize {
		return nil, batchTooLong(size, h.limits.MaxMessageSize)
	}
	ctx := r.HTTP.Context()
	cfg, err := h.engine.GetQueue(ctx, name)
	if err != nil {
		return nil, err
	}
	out := sendMessageBatchOutput{Successful: []sendBatchResult{}, Failed: []batchError{}}
	var ok []sendEntry
	var okIDs []string
	for _, be := range in.Entries {
		e, err := h.prepareSend(cfg, be.MessageBody, be.DelaySeconds, be.MessageAttributes, be.MessageSystemAttributes, be.MessageDeduplicationId, be.MessageGroupId)
		if err != nil {
			out.Failed = append(out.Failed, *entryError(r, be.Id, err))
			continue
		}
		ok = append(ok, e)
		okIDs = append(okIDs, be.Id)
	}
	if len(ok) == 0 {
		return out, nil
	}
	inputs := make([]sluice.SendInput, len(ok))
	for i, e := range ok {
		inputs[i] = e.in
	}
	results, err := h.engine.Send(ctx, name, inputs)
	var ia *sluice.InvalidArgumentError
	var le *sluice.LimitError
	if err != nil && (errors.As(err, &ia) || errors.As(err, &le)) {
		// The engine takes a batch whole or not at all: find the entries it
		// refuses by sending each alone.
		results = make([]sluice.SendResult, len(ok))
		errs := make([]error, len(ok))
		for i := range ok {
			res, err := h.engine.Send(ctx, name, inputs[i:i+1])
			if err != nil {
				errs[i] = err
				continue
			}
			results[i] = res[0]
		}
		for i, err := range errs {
			if err == nil {
				continue
			}
			be := entryError(r, okIDs[i], err)
			if be == nil {
				return nil, err
			}
			out.Failed = append(out.Failed, *be)
		}
		err = nil
		for i := range ok {
			if errs[i] == nil {
				out.Successful = append(out.Successful, batchResult(cfg, okIDs[i], ok[i], results[i]))
			}
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range ok {
		out.Successful = append(out.Successful, batchResult(cfg, okIDs[i], ok[i], results[i]))
	}
	return out, nil
}

func batchResult(cfg sluice.QueueConfig, id string, e sendEntry, res sluice.SendResult) sendBatchResult {
	return sendBatchResult{
		Id: id, MessageId: res.ID, MD5OfMessageBody: e.md5Body, MD5OfMessageAttributes: e.md5Attrs,
		MD5OfMessageSystemAttributes: e.md5Sys, SequenceNumber: sequenceNumber(cfg, res.Sequence),
	}
}

// System attributes a receive can ask for.
var systemAttributes = []string{"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn"}

// attributeFilter selects message attributes by name: "All" and ".*"
// select all, "prefix.*" those starting with prefix, other names themselves.
type attributeFilter struct {
	all      bool
	names    map[string]bool
	prefixes []string
}

func newAttributeFilter(names []string) attributeFilter {
	var f attributeFilter
	for _, n := range names {
		switch {
		case n == "All" || n == ".*":
			f.all = true
		case strings.HasSuffix(n, ".*"):
			f.prefixes = append(f.prefixes, strings.TrimSuffix(n, "*"))
		default:
			if f.names == nil {
				f.names = map[string]bool{}
			}
			f.names[n] = true
		}
	}
	return f
}

func (f attributeFilter) match(name string) bool {
	if f.all || f.names[name] {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (h *Handler) receiveMessage(r *awswire.Request) (any, error) {
	var in receiveMessageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	opts := sluice.ReceiveOptions{Max: 1}
	if p := in.MaxNumberOfMessages; p != nil {
		if *p < 1 || *p > maxBatch {
			return nil, awswire.InvalidParameterValue("MaxNumberOfMessages", itoa(*p), "Must be between 1 and 10, if provided.")
		}
		opts.Max = *p
	}
	if p := in.VisibilityTimeout; p != nil {
		if *p < 0 || *p > maxVisibilitySeconds {
			return nil, awswire.InvalidParameterValue("VisibilityTimeout", itoa(*p), "Must be between 0 and 43200, if provided.")
		}
		d := time.Duration(*p) * time.Second
		opts.VisibilityTimeout = &d
	}
	if p := in.WaitTimeSeconds; p != nil {
		if *p < 0 || *p > maxWaitSeconds {
			return nil, awswire.InvalidParameterValue("WaitTimeSeconds", itoa(*p), "Must be >= 0 and <= 20, if provided.")
		}
		d := time.Duration(*p) * time.Second
		opts.WaitTime = &d
	}
	sysFilter := newAttributeFilter(append(in.AttributeNames, in.MessageSystemAttributeNames...))
	for n := range sysFilter.names {
		if !containsString(systemAttributes, n) {
			return nil, invalidAttributeName(n)
		}
	}
	attrFilter := newAttributeFilter(in.MessageAttributeNames)
	ctx := r.HTTP.Context()

	var cfg sluice.QueueConfig
	attempt := ""
	if in.ReceiveRequestAttemptId != "" {
		if cfg, err = h.engine.GetQueue(ctx, name); err != nil {
			return nil, err
		}
		if cfg.Type == sluice.FIFO {
			attempt = name + "\x00" + in.ReceiveRequestAttemptId
			if msgs, ok := h.attempts.get(attempt); ok {
				return h.receiveOutput(msgs, sysFilter, attrFilter), nil
			}
		}
	}
	msgs, err := h.engine.Receive(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	if attempt != "" && len(msgs) > 0 {
		vis := cfg.VisibilityTimeout
		if opts.VisibilityTimeout != nil {
			vis = *opts.VisibilityTimeout
		}
		h.attempts.put(attempt, msgs, min(vis, 5*time.Minute))
	}
	return h.receiveOutput(msgs, sysFilter, attrFilter), nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (h *Handler) receiveOutput(msgs []sluice.Message, sys, attrs attributeFilter) receiveMessageOutput {
	var out receiveMessageOutput
	for _, m := range msgs {
		om := message{MessageId: m.ID, ReceiptHandle: m.Receipt, MD5OfBody: awswire.MD5OfBody(m.Body), Body: string(m.Body)}
		if sys.all || len(sys.names) > 0 {
			om.Attributes = h.systemAttributes(m, sys)
		}
		var picked map[string]sluice.Attribute
		for k, a := range m.Attributes {
			if attrs.match(k) {
				if picked == nil {
					picked = map[string]sluice.Attribute{}
					om.MessageAttributes = map[string]attributeValue{}
				}
				picked[k] = a
				v := attributeValue{DataType: a.Type}
				if a.BaseType() == "Binary" {
					v.BinaryValue = a.Binary
					if v.BinaryValue == nil {
						v.BinaryValue = []byte{}
					}
				} else {
					s := a.String
					v.StringValue = &s
				}
				om.MessageAttributes[k] = v
			}
		}
		om.MD5OfMessageAttributes = awswire.MD5OfAttributes(picked)
		out.Messages = append(out.Messages, om)
	}
	return out
}

func (h *Handler) systemAttributes(m sluice.Message, f attributeFilter) map[string]string {
	out := map[string]string{}
	put := func(name, v string) {
		if v != "" && f.match(name) {
			out[name] = v
		}
	}
	ms := func(t time.Time) string {
		if t.IsZero() || t.Unix() <= 0 {
			return ""
		}
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	put("SenderId", h.aws.Account)
	put("SentTimestamp", ms(m.SentAt))
	put("ApproximateReceiveCount", itoa(m.ReceiveCount))
	put("ApproximateFirstReceiveTimestamp", ms(m.FirstReceivedAt))
	if m.GroupID != "" || m.DedupID != "" {
		put("SequenceNumber", strconv.FormatUint(m.Sequence, 10))
		put("MessageDeduplicationId", m.DedupID)
		put("MessageGroupId", m.GroupID)
	} else {
		put("MessageGroupId", m.Tenant)
	}
	put("AWSTraceHeader", m.TraceHeader)
	if m.SourceQueue != "" {
		put("DeadLetterQueueSourceArn", h.queueARN(m.SourceQueue))
	}
	return out
}

// attemptCache remembers the messages a FIFO receive returned for a
// ReceiveRequestAttemptId, so that a retried receive gets the same
// messages and receipts while their lease lasts. It lives in memory.
type attemptCache struct {
	mu sync.Mutex // guards m
	m  map[string]attemptEntry
}

type attemptEntry struct {
	msgs    []sluice.Message
	expires time.Time
}

const maxAttempts = 10000

func (c *attemptCache) get(key string) ([]sluice.Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.msgs, true
}

func (c *attemptCache) put(key string, msgs []sluice.Message, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]attemptEntry{}
	}
	now := time.Now()
	if len(c.m) >= maxAttempts {
		for k, e := range c.m {
			if now.After(e.expires) || len(c.m) >= maxAttempts {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = attemptEntry{msgs: msgs, expires: now.Add(ttl)}
}

func (h *Handler) deleteMessage(r *awswire.Request) (any, error) {
	var in deleteMessageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, awswire.MissingParameter("ReceiptHandle")
	}
	errs, err := h.engine.Ack(r.HTTP.Context(), name, []string{in.ReceiptHandle})
	if err != nil {
		return nil, err
	}
	return nil, ackError(in.ReceiptHandle, errs[0])
}

// ackError maps an ack's per-receipt error: a stale receipt is not an
// error (SQS accepts it and deletes nothing), an unknown one is.
func ackError(receipt string, err error) error {
	switch {
	case err == nil, errors.Is(err, sluice.ErrReceiptStale):
		return nil
	case errors.Is(err, sluice.ErrReceiptInvalid):
		return receiptInvalid(receipt)
	}
	return err
}

func (h *Handler) deleteMessageBatch(r *awswire.Request) (any, error) {
	var in deleteMessageBatchInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	out := deleteMessageBatchOutput{Successful: []batchID{}, Failed: []batchError{}}
	var receipts, rids []string
	for _, e := range in.Entries {
		if e.ReceiptHandle == "" {
			out.Failed = append(out.Failed, *entryError(r, e.Id, awswire.MissingParameter("ReceiptHandle")))
			continue
		}
		receipts, rids = append(receipts, e.ReceiptHandle), append(rids, e.Id)
	}
	if len(receipts) == 0 {
		return out, nil
	}
	errs, err := h.engine.Ack(r.HTTP.Context(), name, receipts)
	if err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err = ackError(receipts[i], err); err == nil {
			out.Successful = append(out.Successful, batchID{Id: rids[i]})
		} else if be := entryError(r, rids[i], err); be != nil {
			out.Failed = append(out.Failed, *be)
		} else {
			return nil, err
		}
	}
	return out, nil
}

// visibilityError maps a visibility change's per-receipt error.
func visibilityError(receipt string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sluice.ErrReceiptStale):
		return notInFlight(receipt)
	case errors.Is(err, sluice.ErrReceiptInvalid):
		return receiptInvalid(receipt)
	}
	return err
}

func visibilityTimeout(p *int) (time.Duration, error) {
	if p == nil {
		return 0, awswire.MissingParameter("VisibilityTimeout")
	}
	if *p < 0 || *p > maxVisibilitySeconds {
		return 0, awswire.InvalidParameterValue("VisibilityTimeout", itoa(*p), "Must be between 0 and 43200, if provided.")
	}
	return time.Duration(*p) * time.Second, nil
}

func (h *Handler) changeVisibility(r *awswire.Request) (any, error) {
	var in changeVisibilityInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, awswire.MissingParameter("ReceiptHandle")
	}
	d, err := visibilityTimeout(in.VisibilityTimeout)
	if err != nil {
		return nil, err
	}
	errs, err := h.engine.ChangeVisibility(r.HTTP.Context(), name, []sluice.VisibilityChange{{Receipt: in.ReceiptHandle, Timeout: d}})
	if err != nil {
		return nil, err
	}
	return nil, visibilityError(in.ReceiptHandle, errs[0])
}

func (h *Handler) changeVisibilityBatch(r *awswire.Request) (any, error) {
	var in changeVisibilityBatchInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	out := changeVisibilityBatchOutput{Successful: []batchID{}, Failed: []batchError{}}
	var changes []sluice.VisibilityChange
	var cids []string
	for _, e := range in.Entries {
		d, err := visibilityTimeout(e.VisibilityTimeout)
		if err == nil && e.ReceiptHandle == "" {
			err = awswire.MissingParameter("ReceiptHandle")
		}
		if err != nil {
			out.Failed = append(out.Failed, *entryError(r, e.Id, err))
			continue
		}
		changes, cids = append(changes, sluice.VisibilityChange{Receipt: e.ReceiptHandle, Timeout: d}), append(cids, e.Id)
	}
	if len(changes) == 0 {
		return out, nil
	}
	errs, err := h.engine.ChangeVisibility(r.HTTP.Context(), name, changes)
	if err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err = visibilityError(changes[i].Receipt, err); err == nil {
			out.Successful = append(out.Successful, batchID{Id: cids[i]})
		} else if be := entryError(r, cids[i], err); be != nil {
			out.Failed = append(out.Failed, *be)
		} else {
			return nil, err
		}
	}
	return out, nil
}
