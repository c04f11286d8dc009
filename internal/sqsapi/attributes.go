package sqsapi

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// SQS queue attribute limits.
const (
	maxDelaySeconds      = 900
	maxVisibilitySeconds = 43200
	minRetentionSeconds  = 60
	maxRetentionSeconds  = 1209600
	maxWaitSeconds       = 20
	minMessageSize       = 1024
)

// Queue attributes that GetQueueAttributes reports, in SQS's order.
var allAttributes = []string{
	"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
	"VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
	"ReceiveMessageWaitTimeSeconds", "Policy", "RedrivePolicy", "RedriveAllowPolicy",
	"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
	"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
}

var fifoOnlyAttributes = []string{"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}

// parseAttributes turns SetQueueAttributes' (or CreateQueue's) attributes
// into an engine update. FifoQueue is accepted only when creating, and
// must then agree with fifo.
func (h *Handler) parseAttributes(attrs map[string]string, fifo, creating bool) (sluice.QueueUpdate, error) {
	var u sluice.QueueUpdate
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range attrs {
			if !yield(k) {
				return
			}
		}
	}) {
		v := attrs[name]
		if !fifo && slices.Contains(fifoOnlyAttributes, name) && !(name == "FifoQueue" && creating && strings.EqualFold(v, "false")) {
			return u, invalidAttributeName(name)
		}
		switch name {
		case "DelaySeconds":
			d, err := secondsAttr(name, v, 0, maxDelaySeconds)
			if err != nil {
				return u, err
			}
			u.Delay = &d
		case "VisibilityTimeout":
			d, err := secondsAttr(name, v, 0, maxVisibilitySeconds)
			if err != nil {
				return u, err
			}
			u.VisibilityTimeout = &d
		case "MessageRetentionPeriod":
			d, err := secondsAttr(name, v, minRetentionSeconds, maxRetentionSeconds)
			if err != nil {
				return u, err
			}
			u.Retention = &d
		case "ReceiveMessageWaitTimeSeconds":
			d, err := secondsAttr(name, v, 0, maxWaitSeconds)
			if err != nil {
				return u, err
			}
			u.ReceiveWait = &d
		case "MaximumMessageSize":
			n, err := intAttr(name, v, minMessageSize, h.limits.MaxMessageSize)
			if err != nil {
				return u, err
			}
			u.MaxMessageSize = &n
		case "RedrivePolicy":
			dl, err := parseRedrivePolicy(v)
			if err != nil {
				return u, err
			}
			u.DeadLetter = dl
		case "RedriveAllowPolicy":
			if err := checkRedriveAllowPolicy(v); err != nil {
				return u, err
			}
			u.RedriveAllowPolicy = &v
		case "Policy":
			if v != "" && !json.Valid([]byte(v)) {
				return u, invalidAttributeValue(name, "the policy is not a JSON document.")
			}
			u.Policy = &v
		case "KmsMasterKeyId":
			u.KMSKeyID = &v
		case "KmsDataKeyReusePeriodSeconds":
			d, err := secondsAttr(name, v, 60, 86400)
			if err != nil {
				return u, err
			}
			u.KMSDataKeyReuse = &d
		case "SqsManagedSseEnabled":
			b, err := boolAttr(name, v)
			if err != nil {
				return u, err
			}
			u.ManagedSSE = &b
		case "FifoQueue":
			if !creating {
				return u, invalidAttributeName(name)
			}
			if b, err := boolAttr(name, v); err != nil {
				return u, err
			} else if b != fifo {
				return u, invalidAttributeValue(name, "FIFO queue names must end in .fifo, and only theirs.")
			}
		case "ContentBasedDeduplication":
			b, err := boolAttr(name, v)
			if err != nil {
				return u, err
			}
			u.ContentBasedDedup = &b
		case "DeduplicationScope":
			if v != sluice.DedupPerQueue && v != sluice.DedupPerGroup {
				return u, invalidAttributeValue(name, "must be queue or messageGroup.")
			}
			if v == sluice.DedupPerQueue {
				v = "" // the default
			}
			u.DedupScope = &v
		case "FifoThroughputLimit":
			if v != "perQueue" && v != "perMessageGroupId" {
				return u, invalidAttributeValue(name, "must be perQueue or perMessageGroupId.")
			}
			if v == "perQueue" {
				v = "" // the default
			}
			u.ThroughputLimit = &v
		default:
			return u, invalidAttributeName(name)
		}
	}
	return u, nil
}

func intAttr(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, invalidAttributeValue(name, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+".")
	}
	return n, nil
}

func secondsAttr(name, v string, lo, hi int) (time.Duration, error) {
	n, err := intAttr(name, v, lo, hi)
	return time.Duration(n) * time.Second, err
}

func boolAttr(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidAttributeValue(name, "must be true or false.")
}

// parseRedrivePolicy parses {"deadLetterTargetArn":ARN,"maxReceiveCount":N};
// the empty string removes the policy.
func parseRedrivePolicy(v string) (*sluice.DeadLetterPolicy, error) {
	if strings.TrimSpace(v) == "" {
		return &sluice.DeadLetterPolicy{}, nil
	}
	var p struct {
		Target     string          `json:"deadLetterTargetArn"`
		MaxReceive json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, invalidAttributeValue("RedrivePolicy", "Redrive policy is not a valid JSON map.")
	}
	if p.Target == "" {
		return nil, invalidAttributeValue("RedrivePolicy", "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	name, err := queueOfARN("RedrivePolicy", p.Target)
	if err != nil {
		return nil, invalidAttributeValue("RedrivePolicy", "Dead-letter target ARN is not an SQS queue ARN.")
	}
	n, err := strconv.Atoi(strings.Trim(string(p.MaxReceive), `"`))
	if err != nil || n < 1 || n > 1000 {
		return nil, invalidAttributeValue("RedrivePolicy", "Value of maxReceiveCount must be an integer from 1 to 1000.")
	}
	return &sluice.DeadLetterPolicy{Queue: name, MaxReceives: n}, nil
}

// redriveAllow is a RedriveAllowPolicy document.
type redriveAllow struct {
	Permission string   `json:"redrivePermission"`
	Sources    []string `json:"sourceQueueArns,omitempty"`
}

func checkRedriveAllowPolicy(v string) error {
	if v == "" {
		return nil
	}
	var p redriveAllow
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return invalidAttributeValue("RedriveAllowPolicy", "Redrive allow policy is not a valid JSON map.")
	}
	switch p.Permission {
	case "allowAll", "denyAll":
		if len(p.Sources) > 0 {
			return invalidAttributeValue("RedriveAllowPolicy", "sourceQueueArns is allowed only with redrivePermission byQueue.")
		}
	case "byQueue":
		if len(p.Sources) < 1 || len(p.Sources) > 10 {
			return invalidAttributeValue("RedriveAllowPolicy", "byQueue needs 1 to 10 sourceQueueArns.")
		}
	default:
		return invalidAttributeValue("RedriveAllowPolicy", "redrivePermission must be allowAll, denyAll or byQueue.")
	}
	return nil
}

// allowsSource reports whether a dead-letter queue's RedriveAllowPolicy
// lets the queue with ARN source use it.
func allowsSource(policy, source string) bool {
	if policy == "" {
		return true
	}
	var p redriveAllow
	if json.Unmarshal([]byte(policy), &p) != nil {
		return true
	}
	switch p.Permission {
	case "denyAll":
		return false
	case "byQueue":
		return slices.Contains(p.Sources, source)
	}
	return true
}

// applyUpdate applies u to cfg as the engine would.
func applyUpdate(c *sluice.QueueConfig, u sluice.QueueUpdate) {
	setD := func(dst, src *time.Duration) {
		if src != nil {
			*dst = *src
		}
	}
	setS := func(dst, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setD(&c.VisibilityTimeout, u.VisibilityTimeout)
	setD(&c.Delay, u.Delay)
	setD(&c.Retention, u.Retention)
	setD(&c.ReceiveWait, u.ReceiveWait)
	setD(&c.KMSDataKeyReuse, u.KMSDataKeyReuse)
	if u.MaxMessageSize != nil {
		c.MaxMessageSize = *u.MaxMessageSize
	}
	if u.DeadLetter != nil {
		if u.DeadLetter.Queue == "" {
			c.DeadLetter = nil
		} else {
			dl := *u.DeadLetter
			c.DeadLetter = &dl
		}
	}
	if u.ContentBasedDedup != nil {
		c.ContentBasedDedup = *u.ContentBasedDedup
	}
	if u.ManagedSSE != nil {
		c.ManagedSSE = *u.ManagedSSE
	}
	setS(&c.DedupScope, u.DedupScope)
	setS(&c.ThroughputLimit, u.ThroughputLimit)
	setS(&c.Policy, u.Policy)
	setS(&c.RedriveAllowPolicy, u.RedriveAllowPolicy)
	setS(&c.KMSKeyID, u.KMSKeyID)
}

// sameSettings reports whether two configs agree on every attribute SQS
// clients can set.
func sameSettings(a, b sluice.QueueConfig) bool {
	a.Tags, b.Tags = nil, nil
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// queueAttributes returns the named attributes of a queue ("All" for every one).
func (h *Handler) queueAttributes(cfg sluice.QueueConfig, st sluice.QueueStats, names []string) (map[string]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		if n == "All" {
			for _, a := range allAttributes {
				want[a] = true
			}
			continue
		}
		if !slices.Contains(allAttributes, n) {
			return nil, invalidAttributeName(n)
		}
		want[n] = true
	}
	fifo := cfg.Type == sluice.FIFO
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	out := map[string]string{}
	put := func(name, v string) {
		if want[name] {
			out[name] = v
		}
	}
	put("QueueArn", h.queueARN(cfg.Name))
	put("ApproximateNumberOfMessages", strconv.Itoa(st.Visible))
	put("ApproximateNumberOfMessagesNotVisible", strconv.Itoa(st.InFlight))
	put("ApproximateNumberOfMessagesDelayed", strconv.Itoa(st.Delayed))
	put("CreatedTimestamp", strconv.FormatInt(cfg.CreatedAt.Unix(), 10))
	put("LastModifiedTimestamp", strconv.FormatInt(cfg.UpdatedAt.Unix(), 10))
	put("VisibilityTimeout", secs(cfg.VisibilityTimeout))
	put("MaximumMessageSize", strconv.Itoa(cfg.MaxMessageSize))
	put("MessageRetentionPeriod", secs(cfg.Retention))
	put("DelaySeconds", secs(cfg.Delay))
	put("ReceiveMessageWaitTimeSeconds", secs(cfg.ReceiveWait))
	put("SqsManagedSseEnabled", strconv.FormatBool(cfg.ManagedSSE))
	if cfg.Policy != "" {
		put("Policy", cfg.Policy)
	}
	if dl := cfg.DeadLetter; dl != nil {
		b, _ := json.Marshal(struct {
			Target string `json:"deadLetterTargetArn"`
			Max    int    `json:"maxReceiveCount"`
		}{h.queueARN(dl.Queue), dl.MaxReceives})
		put("RedrivePolicy", string(b))
	}
	if cfg.RedriveAllowPolicy != "" {
		put("RedriveAllowPolicy", cfg.RedriveAllowPolicy)
	}
	if cfg.KMSKeyID != "" {
		put("KmsMasterKeyId", cfg.KMSKeyID)
		reuse := cfg.KMSDataKeyReuse
		if reuse == 0 {
			reuse = 300 * time.Second
		}
		put("KmsDataKeyReusePeriodSeconds", secs(reuse))
	}
	if fifo {
		put("FifoQueue", "true")
		put("ContentBasedDeduplication", strconv.FormatBool(cfg.ContentBasedDedup))
		put("DeduplicationScope", cmp.Or(cfg.DedupScope, sluice.DedupPerQueue))
		put("FifoThroughputLimit", cmp.Or(cfg.ThroughputLimit, "perQueue"))
	}
	return out, nil
}
