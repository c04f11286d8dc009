package sluice

import (
	"cmp"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bounds what clients may send. A zero field means the default.
type Limits struct {
	MaxMessageSize       int           // body plus attributes, bytes (default 1 MiB)
	MaxAttributes        int           // per message (default 10, as SQS)
	MaxAttributeName     int           // bytes (default 256)
	MaxSendBatch         int           // messages per send (default 1000)
	MaxReceiveBatch      int           // messages per receive (default 1000)
	MaxAckBatch          int           // receipts per ack or visibility change (default 1000)
	MaxQueueNameLength   int           // default 80, as SQS
	MaxTenantLength      int           // default 128
	MaxVisibilityTimeout time.Duration // default 12h, as SQS
	MaxWaitTime          time.Duration // default 20m on the native API
	MaxDelay             time.Duration // per-queue delay bound (default 15m, as SQS)
	MaxRetention         time.Duration // default 14 days
	MinRetention         time.Duration // default 1 minute
	MaxQueues            int           // default 100,000
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	l.MaxMessageSize = cmp.Or(l.MaxMessageSize, 1<<20)
	l.MaxAttributes = cmp.Or(l.MaxAttributes, 10)
	l.MaxAttributeName = cmp.Or(l.MaxAttributeName, 256)
	l.MaxSendBatch = cmp.Or(l.MaxSendBatch, 1000)
	l.MaxReceiveBatch = cmp.Or(l.MaxReceiveBatch, 1000)
	l.MaxAckBatch = cmp.Or(l.MaxAckBatch, 1000)
	l.MaxQueueNameLength = cmp.Or(l.MaxQueueNameLength, 80)
	l.MaxTenantLength = cmp.Or(l.MaxTenantLength, 128)
	l.MaxVisibilityTimeout = cmp.Or(l.MaxVisibilityTimeout, 12*time.Hour)
	l.MaxWaitTime = cmp.Or(l.MaxWaitTime, 20*time.Minute)
	l.MaxDelay = cmp.Or(l.MaxDelay, 15*time.Minute)
	l.MaxRetention = cmp.Or(l.MaxRetention, 14*24*time.Hour)
	l.MinRetention = cmp.Or(l.MinRetention, time.Minute)
	l.MaxQueues = cmp.Or(l.MaxQueues, 100_000)
	return l
}

// ValidateQueueName reports whether name is a valid queue name: 1 to
// MaxQueueNameLength characters of letters, digits, '-' and '_', with an
// optional ".fifo" suffix that FIFO queues must carry. l must have defaults.
func (l Limits) ValidateQueueName(name string, typ QueueType) error {
	if name == "" {
		return Invalid("name", "must not be empty")
	}
	if len(name) > l.MaxQueueNameLength {
		return Invalid("name", "is %d characters, longer than %d", len(name), l.MaxQueueNameLength)
	}
	base, fifo := strings.CutSuffix(name, ".fifo")
	if base == "" {
		return Invalid("name", "must have characters before .fifo")
	}
	for i, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Invalid("name", "character %q at %d is not a letter, digit, '-' or '_'", r, i)
		}
	}
	if fifo != (typ == FIFO) {
		return Invalid("name", "FIFO queue names must end in .fifo, and only theirs")
	}
	return nil
}

// ValidateTenant reports whether t is a valid tenant name.
func (l Limits) ValidateTenant(field, t string) error {
	if len(t) > l.MaxTenantLength {
		return &LimitError{Field: field, Limit: int64(l.MaxTenantLength), Got: int64(len(t))}
	}
	if !utf8.ValidString(t) {
		return Invalid(field, "must be valid UTF-8")
	}
	for _, r := range t {
		if r < 0x20 || r == 0x7f {
			return Invalid(field, "must not contain control characters")
		}
	}
	return nil
}

// ValidateAttributes checks names, types and count, and returns their size
// in bytes as counted against the message size limit.
func (l Limits) ValidateAttributes(attrs map[string]Attribute) (int, error) {
	if len(attrs) > l.MaxAttributes {
		return 0, &LimitError{Field: "attributes", Limit: int64(l.MaxAttributes), Got: int64(len(attrs))}
	}
	size := 0
	for name, a := range attrs {
		field := "attributes." + name
		if err := l.validateAttributeName(name); err != nil {
			return 0, err
		}
		switch a.BaseType() {
		case "String":
			if !utf8.ValidString(a.String) {
				return 0, Invalid(field, "string value must be valid UTF-8")
			}
		case "Number":
			if !isNumber(a.String) {
				return 0, Invalid(field, "%q is not a number", a.String)
			}
		case "Binary":
		default:
			return 0, Invalid(field+".type", "%q is not String, Number or Binary (with an optional .suffix)", a.Type)
		}
		if a.BaseType() == "Binary" && a.String != "" || a.BaseType() != "Binary" && a.Binary != nil {
			return 0, Invalid(field, "value does not match type %s", a.Type)
		}
		if len(a.Type) > 256 {
			return 0, Invalid(field+".type", "is longer than 256 bytes")
		}
		size += len(name) + len(a.Type) + len(a.String) + len(a.Binary)
	}
	return size, nil
}

func (l Limits) validateAttributeName(name string) error {
	field := "attributes." + name
	switch {
	case name == "":
		return Invalid("attributes", "attribute name must not be empty")
	case len(name) > l.MaxAttributeName:
		return Invalid(field, "name is longer than %d bytes", l.MaxAttributeName)
	case strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon."):
		return Invalid(field, "names starting with AWS. or Amazon. are reserved")
	case name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, ".."):
		return Invalid(field, "name must not start or end with '.' or contain '..'")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return Invalid(field, "name character %q is not a letter, digit, '-', '_' or '.'", r)
		}
	}
	return nil
}

// isNumber reports whether s is a decimal number as SQS accepts it: an
// optional sign, digits with an optional fraction, an optional exponent.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s) && len(s) <= 512
}

// validDuration reports whether d lies within lo to hi.
func validDuration(field string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return Invalid(field, "%v is outside %v to %v", d, lo, hi)
	}
	return nil
}

// ValidateQueueConfig checks every field of cfg (with defaults applied) and
// returns the first problem found.
func (l Limits) ValidateQueueConfig(cfg QueueConfig) error {
	if err := l.ValidateQueueName(cfg.Name, cfg.Type); err != nil {
		return err
	}
	if cfg.Type != Standard && cfg.Type != FIFO {
		return Invalid("type", "%q is not standard or fifo", cfg.Type)
	}
	if err := validDuration("visibility_timeout", cfg.VisibilityTimeout, 0, l.MaxVisibilityTimeout); err != nil {
		return err
	}
	if err := validDuration("delay", cfg.Delay, 0, l.MaxDelay); err != nil {
		return err
	}
	if err := validDuration("retention", cfg.Retention, l.MinRetention, l.MaxRetention); err != nil {
		return err
	}
	if err := validDuration("receive_wait", cfg.ReceiveWait, 0, l.MaxWaitTime); err != nil {
		return err
	}
	if cfg.MaxMessageSize < 1 || cfg.MaxMessageSize > l.MaxMessageSize {
		return Invalid("max_message_size", "%d is outside 1 to %d", cfg.MaxMessageSize, l.MaxMessageSize)
	}
	if dl := cfg.DeadLetter; dl != nil {
		if err := l.ValidateQueueName(dl.Queue, cfg.Type); err != nil {
			return WithField("dead_letter.queue", err.(*InvalidArgumentError).withField(""))
		}
		if dl.Queue == cfg.Name {
			return Invalid("dead_letter.queue", "must not be the queue itself")
		}
		if dl.MaxReceives < 1 || dl.MaxReceives > 1000 {
			return Invalid("dead_letter.max_receives", "%d is outside 1 to 1000", dl.MaxReceives)
		}
	}
	if t := cfg.Tasks; t != nil {
		if err := l.validateTaskPolicy(*t); err != nil {
			return err
		}
	}
	if cfg.ContentBasedDedup && cfg.Type != FIFO {
		return Invalid("content_based_dedup", "applies to FIFO queues only")
	}
	if err := validateFIFOSettings(cfg); err != nil {
		return err
	}
	for _, doc := range []struct{ field, value string }{{"policy", cfg.Policy}, {"redrive_allow_policy", cfg.RedriveAllowPolicy}} {
		if len(doc.value) > 20<<10 {
			return &LimitError{Field: doc.field, Limit: 20 << 10, Got: int64(len(doc.value))}
		}
		if doc.value != "" && !json.Valid([]byte(doc.value)) {
			return Invalid(doc.field, "is not a JSON document")
		}
	}
	if len(cfg.KMSKeyID) > 2048 {
		return Invalid("kms_key_id", "is longer than 2048 bytes")
	}
	if d := cfg.KMSDataKeyReuse; d != 0 {
		if err := validDuration("kms_data_key_reuse", d, time.Minute, 24*time.Hour); err != nil {
			return err
		}
	}
	return ValidateTags(cfg.Tags)
}

// validateFIFOSettings checks the deduplication scope and throughput limit,
// which only FIFO queues have.
func validateFIFOSettings(cfg QueueConfig) error {
	switch cfg.DedupScope {
	case "", DedupPerQueue, DedupPerGroup:
	default:
		return Invalid("dedup_scope", "%q is not %s or %s", cfg.DedupScope, DedupPerQueue, DedupPerGroup)
	}
	switch cfg.ThroughputLimit {
	case "", "perQueue", "perMessageGroupId":
	default:
		return Invalid("throughput_limit", "%q is not perQueue or perMessageGroupId", cfg.ThroughputLimit)
	}
	if cfg.Type != FIFO && (cfg.DedupScope != "" || cfg.ThroughputLimit != "") {
		return Invalid("dedup_scope", "deduplication scope and throughput limit apply to FIFO queues only")
	}
	if cfg.ThroughputLimit == "perMessageGroupId" && cfg.DedupScope != DedupPerGroup {
		return Invalid("throughput_limit", "perMessageGroupId needs the messageGroup deduplication scope")
	}
	return nil
}

// ValidateTags checks a queue's or topic's tags: at most 50, keys of 1 to
// 128 bytes and values of at most 256 bytes, all UTF-8.
func ValidateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return &LimitError{Field: "tags", Limit: 50, Got: int64(len(tags))}
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return Invalid("tags."+k, "tag keys must be 1 to 128 and values at most 256 bytes of UTF-8")
		}
	}
	return nil
}

func (e *InvalidArgumentError) withField(f string) *InvalidArgumentError {
	return &InvalidArgumentError{Field: f, Reason: e.Reason}
}

// QueueDefaults returns cfg with zero fields set to their defaults; the type
// follows the name's ".fifo" suffix when empty.
func (l Limits) QueueDefaults(cfg QueueConfig) QueueConfig {
	if cfg.Type == "" {
		cfg.Type = Standard
		if strings.HasSuffix(cfg.Name, ".fifo") {
			cfg.Type = FIFO
		}
	}
	cfg.VisibilityTimeout = cmp.Or(cfg.VisibilityTimeout, DefaultVisibilityTimeout)
	cfg.Retention = cmp.Or(cfg.Retention, DefaultRetention)
	cfg.MaxMessageSize = cmp.Or(cfg.MaxMessageSize, l.MaxMessageSize)
	if cfg.Tasks != nil {
		t := cfg.Tasks.WithDefaults()
		cfg.Tasks = &t
	}
	return cfg
}

// validateTaskPolicy checks a task policy with its defaults applied.
func (l Limits) validateTaskPolicy(t TaskPolicy) error {
	if t.MaxAttempts < 1 || t.MaxAttempts > MaxTaskAttempts {
		return Invalid("tasks.max_attempts", "%d is outside 1 to %d", t.MaxAttempts, MaxTaskAttempts)
	}
	if err := validDuration("tasks.min_backoff", t.MinBackoff, 0, l.MaxRetention); err != nil {
		return err
	}
	if err := validDuration("tasks.max_backoff", t.MaxBackoff, t.MinBackoff, l.MaxRetention); err != nil {
		return err
	}
	if err := validDuration("tasks.retention", t.Retention, l.MinRetention, l.MaxRetention); err != nil {
		return err
	}
	if t.MaxResultSize < 1 || t.MaxResultSize > MaxTaskResultSize {
		return Invalid("tasks.max_result_size", "%d is outside 1 to %d", t.MaxResultSize, MaxTaskResultSize)
	}
	return nil
}
