package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluicehq/sluice"
)

// Records are the engine's state changes as written to the journal. Each op
// is applied through the same apply function online and during replay, so a
// replayed partition equals the one that wrote the log.
//
// Encoding: one type byte, then fields as unsigned varints, signed varints
// (times in Unix nanoseconds) and length-prefixed byte strings, in the order
// of the struct. Snapshots are streams of the same records.

type opType byte

const (
	opQueueCreate opType = iota + 1 // queue id, name, config (JSON)
	opQueueUpdate                   // queue id, config (JSON)
	opQueueDelete                   // queue id
	opPurge                         // queue id, highest sequence purged
	opSend                          // one message, with its lease state in snapshots
	opLease                         // a delivery: new nonce, visibility, receive count
	opVisibility                    // visibility change or nack
	opDelete                        // ack, expiry or move to another queue
	opDedup                         // FIFO dedup entry (snapshots only)
	opQueueSeq                      // next sequence of a queue (snapshots only)
	opTopicCreate                   // topic id, config (JSON)
	opTopicUpdate                   // topic id, config (JSON)
	opTopicDelete                   // topic id
	opSubscribe                     // topic id, subscription (JSON); also replaces one
	opUnsubscribe                   // topic id, subscription id
	opTopicDedup                    // topic id, FIFO dedup entry and sequence
	// opSendTraced is opSend followed by the message's trace header. It is
	// only an encoding: decoding gives an opSend with msg.trace set.
	opSendTraced
	opTaskLease  // a delivery of a tracked queue's task: opLease plus start and worker
	opTaskFail   // a failed attempt: next attempt at, error
	opTaskFinish // a task finished (succeeded, dead, ...); also a kept status in snapshots
	opTaskState  // a live task's attempt details (snapshots only)

	// Tenant settings have fixed numbers, apart from the sequence above.
	opTier   opType = 40 // 0, tier name, policy (JSON)
	opTenant opType = 41 // queue id or 0 for server-wide, tenant, setting (JSON; empty clears)
)

// queueConfigRec is the JSON form of a queue's config in records. Durations
// are nanoseconds; it is internal and versioned by the record format.
type queueConfigRec struct {
	Name              string             `json:"n"`
	Type              sluice.QueueType   `json:"t"`
	VisibilityTimeout time.Duration      `json:"vt"`
	Delay             time.Duration      `json:"d,omitempty"`
	Retention         time.Duration      `json:"r"`
	ReceiveWait       time.Duration      `json:"rw,omitempty"`
	MaxMessageSize    int                `json:"mms"`
	DLQ               string             `json:"dlq,omitempty"`
	MaxReceives       int                `json:"mr,omitempty"`
	ContentDedup      bool               `json:"cbd,omitempty"`
	NoFair            bool               `json:"nofair,omitempty"`
	Tags              map[string]string  `json:"tags,omitempty"`
	CreatedAt         int64              `json:"ca"`
	UpdatedAt         int64              `json:"ua"`
	Push              *pushRec           `json:"push,omitempty"`
	DedupScope        string             `json:"ds,omitempty"`
	ThroughputLimit   string             `json:"ftl,omitempty"`
	Policy            string             `json:"pol,omitempty"`
	RedriveAllow      string             `json:"rap,omitempty"`
	KMSKeyID          string             `json:"kms,omitempty"`
	KMSDataKeyReuse   time.Duration      `json:"kmsr,omitempty"`
	ManagedSSE        bool               `json:"sse,omitempty"`
	Tasks             *sluice.TaskPolicy `json:"tasks,omitempty"`
}

// pushRec marks a hidden queue that holds an HTTP subscription's pending
// deliveries, and says where they go.
type pushRec struct {
	Sub         string        `json:"sub"`
	Topic       string        `json:"topic"`
	Endpoint    string        `json:"e"`
	Raw         bool          `json:"raw,omitempty"`
	MaxAttempts int           `json:"ma"`
	MinBackoff  time.Duration `json:"minb"`
	MaxBackoff  time.Duration `json:"maxb"`
	Timeout     time.Duration `json:"to"`
	MaxRate     float64       `json:"rate,omitempty"`
	Retired     bool          `json:"ret,omitempty"`
	// Confirm is the message id of the confirmation request put first in
	// the queue of an unconfirmed subscription, so that the push worker
	// tells it from a notification whatever its body.
	Confirm string `json:"confirm,omitempty"`
}

func configToRec(c sluice.QueueConfig) queueConfigRec {
	r := queueConfigRec{
		Name: c.Name, Type: c.Type, VisibilityTimeout: c.VisibilityTimeout, Delay: c.Delay,
		Retention: c.Retention, ReceiveWait: c.ReceiveWait, MaxMessageSize: c.MaxMessageSize,
		ContentDedup: c.ContentBasedDedup, Tags: c.Tags, NoFair: c.DisableFairness, Tasks: c.Tasks,
		CreatedAt: c.CreatedAt.UnixNano(), UpdatedAt: c.UpdatedAt.UnixNano(),
		DedupScope: c.DedupScope, ThroughputLimit: c.ThroughputLimit, Policy: c.Policy,
		RedriveAllow: c.RedriveAllowPolicy, KMSKeyID: c.KMSKeyID, KMSDataKeyReuse: c.KMSDataKeyReuse,
		ManagedSSE: c.ManagedSSE,
	}
	if c.DeadLetter != nil {
		r.DLQ, r.MaxReceives = c.DeadLetter.Queue, c.DeadLetter.MaxReceives
	}
	return r
}

func (r queueConfigRec) config() sluice.QueueConfig {
	c := sluice.QueueConfig{
		Name: r.Name, Type: r.Type, VisibilityTimeout: r.VisibilityTimeout, Delay: r.Delay,
		Retention: r.Retention, ReceiveWait: r.ReceiveWait, MaxMessageSize: r.MaxMessageSize,
		ContentBasedDedup: r.ContentDedup, Tags: r.Tags, DisableFairness: r.NoFair, Tasks: r.Tasks,
		CreatedAt: time.Unix(0, r.CreatedAt).UTC(), UpdatedAt: time.Unix(0, r.UpdatedAt).UTC(),
		DedupScope: r.DedupScope, ThroughputLimit: r.ThroughputLimit, Policy: r.Policy,
		RedriveAllowPolicy: r.RedriveAllow, KMSKeyID: r.KMSKeyID, KMSDataKeyReuse: r.KMSDataKeyReuse,
		ManagedSSE: r.ManagedSSE,
	}
	if r.DLQ != "" {
		c.DeadLetter = &sluice.DeadLetterPolicy{Queue: r.DLQ, MaxReceives: r.MaxReceives}
	}
	return c
}

// op is a decoded record. Only the fields its type uses are set.
type op struct {
	typ     opType
	queue   uint64
	seq     uint64 // message sequence, or highest purged, or next sequence
	config  queueConfigRec
	msg     msgRec
	nonce   uint64
	visible int64 // visible-at, Unix nanoseconds
	count   int64 // receive count
	first   int64 // first received at
	dedup   string
	expires int64
	msgID   [16]byte
	js      []byte // topic and subscription records: their JSON
	name    string // subscription id
	task    taskRec
	kept    []*taskDone // snapshots only: finished statuses, encoded one opTaskFinish each
}

// msgRec is a message's durable fields.
type msgRec struct {
	id       [16]byte
	sentAt   int64
	visible  int64
	tenant   string
	group    string
	dedup    string
	source   string
	receives int64
	first    int64
	nonce    uint64
	attrs    []byte // encoded by encodeAttrs
	body     []byte
	trace    string // tracing header, opSendTraced only
}

var errCorruptRecord = errors.New("engine: corrupt record")

// Attributes are kept encoded, in records and in memory alike: a count, then
// for each attribute in name order its name, type, string value and binary
// value, all length-prefixed. One small slice per message costs far less
// than a map; deliveries decode it.
func encodeAttrs(attrs map[string]sluice.Attribute) []byte {
	if len(attrs) == 0 {
		return nil
	}
	names := make([]string, 0, len(attrs))
	size := 1
	for k, a := range attrs {
		names = append(names, k)
		size += len(k) + len(a.Type) + len(a.String) + len(a.Binary) + 8
	}
	sort.Strings(names)
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(attrs)))
	for _, k := range names {
		a := attrs[k]
		b = appendString(b, k)
		b = appendString(b, a.Type)
		b = appendString(b, a.String)
		b = appendBytes(b, a.Binary)
	}
	return b
}

// decodeAttrs returns the attributes encoded in b; b must be valid.
func decodeAttrs(b []byte) map[string]sluice.Attribute {
	if len(b) == 0 {
		return nil
	}
	d := decoder{b: b}
	n := d.uvarint()
	attrs := make(map[string]sluice.Attribute, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.string()
		a := sluice.Attribute{Type: d.string(), String: d.string()}
		if bin := d.bytes(); len(bin) > 0 || a.BaseType() == "Binary" {
			a.Binary = append([]byte{}, bin...)
		}
		attrs[k] = a
	}
	return attrs
}

// validAttrs reports whether b is a well-formed attribute encoding, without
// allocating.
func validAttrs(b []byte) bool {
	d := decoder{b: b}
	n := d.uvarint()
	if n == 0 || n > uint64(len(b)) {
		return false
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		for range 4 {
			d.bytes()
		}
	}
	return d.err == nil && len(d.b) == 0
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encode appends the record for o to b.
func (o *op) encode(b []byte) []byte {
	if o.typ == opSend && o.msg.trace != "" {
		b = append(b, byte(opSendTraced))
	} else {
		b = append(b, byte(o.typ))
	}
	b = binary.AppendUvarint(b, o.queue)
	switch o.typ {
	case opQueueCreate, opQueueUpdate:
		js, err := json.Marshal(o.config)
		if err != nil {
			panic(fmt.Sprintf("engine: encoding queue config: %v", err)) // plain data: cannot fail
		}
		b = appendBytes(b, js)
	case opQueueDelete:
	case opPurge, opQueueSeq:
		b = binary.AppendUvarint(b, o.seq)
	case opSend:
		m := &o.msg
		b = binary.AppendUvarint(b, o.seq)
		b = append(b, m.id[:]...)
		b = binary.AppendVarint(b, m.sentAt)
		b = binary.AppendVarint(b, m.visible)
		b = appendString(b, m.tenant)
		b = appendString(b, m.group)
		b = appendString(b, m.dedup)
		b = appendString(b, m.source)
		b = binary.AppendVarint(b, m.receives)
		b = binary.AppendVarint(b, m.first)
		b = binary.AppendUvarint(b, m.nonce)
		b = appendBytes(b, m.attrs)
		b = appendBytes(b, m.body)
		if m.trace != "" {
			b = appendString(b, m.trace)
		}
	case opLease:
		b = binary.AppendUvarint(b, o.seq)
		b = binary.AppendUvarint(b, o.nonce)
		b = binary.AppendVarint(b, o.visible)
		b = binary.AppendVarint(b, o.count)
		b = binary.AppendVarint(b, o.first)
	case opVisibility:
		b = binary.AppendUvarint(b, o.seq)
		b = binary.AppendVarint(b, o.visible)
	case opDelete:
		b = binary.AppendUvarint(b, o.seq)
	case opDedup, opTopicDedup:
		b = appendString(b, o.dedup)
		b = append(b, o.msgID[:]...)
		b = binary.AppendUvarint(b, o.seq)
		b = binary.AppendVarint(b, o.expires)
	case opTopicCreate, opTopicUpdate, opSubscribe:
		b = appendBytes(b, o.js)
	case opTopicDelete:
	case opUnsubscribe:
		b = appendString(b, o.name)
	case opTier, opTenant:
		b = appendString(b, o.name)
		b = appendBytes(b, o.js)
	case opTaskLease, opTaskFail, opTaskFinish, opTaskState:
		b = o.encodeTask(b)
	}
	return b
}

// decoder reads fields from a record, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorruptRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorruptRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorruptRecord
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) id() (id [16]byte) {
	if d.err != nil {
		return id
	}
	if len(d.b) < 16 {
		d.err = errCorruptRecord
		return id
	}
	copy(id[:], d.b)
	d.b = d.b[16:]
	return id
}

// decodeOp decodes one record. The returned op's byte slices are copies, so
// rec may be reused by the caller.
func decodeOp(rec []byte) (op, error) {
	var o op
	if len(rec) == 0 {
		return o, errCorruptRecord
	}
	o.typ = opType(rec[0])
	d := decoder{b: rec[1:]}
	o.queue = d.uvarint()
	switch o.typ {
	case opQueueCreate, opQueueUpdate:
		js := d.bytes()
		if d.err == nil {
			if err := json.Unmarshal(js, &o.config); err != nil {
				return o, fmt.Errorf("%w: queue config: %v", errCorruptRecord, err)
			}
		}
	case opQueueDelete:
	case opPurge, opQueueSeq:
		o.seq = d.uvarint()
	case opSend, opSendTraced:
		m := &o.msg
		o.seq = d.uvarint()
		m.id = d.id()
		m.sentAt = d.varint()
		m.visible = d.varint()
		m.tenant = d.string()
		m.group = d.string()
		m.dedup = d.string()
		m.source = d.string()
		m.receives = d.varint()
		m.first = d.varint()
		m.nonce = d.uvarint()
		if attrs := d.bytes(); len(attrs) > 0 {
			if !validAttrs(attrs) {
				return o, fmt.Errorf("%w: attributes", errCorruptRecord)
			}
			m.attrs = append([]byte(nil), attrs...)
		}
		m.body = append([]byte(nil), d.bytes()...)
		if o.typ == opSendTraced {
			if m.trace = d.string(); m.trace == "" && d.err == nil {
				return o, fmt.Errorf("%w: empty trace header", errCorruptRecord)
			}
			o.typ = opSend
		}
	case opLease:
		o.seq = d.uvarint()
		o.nonce = d.uvarint()
		o.visible = d.varint()
		o.count = d.varint()
		o.first = d.varint()
	case opVisibility:
		o.seq = d.uvarint()
		o.visible = d.varint()
	case opDelete:
		o.seq = d.uvarint()
	case opDedup, opTopicDedup:
		o.dedup = d.string()
		o.msgID = d.id()
		o.seq = d.uvarint()
		o.expires = d.varint()
	case opTopicCreate, opTopicUpdate, opSubscribe:
		o.js = append([]byte(nil), d.bytes()...)
		if d.err == nil && !json.Valid(o.js) {
			return o, fmt.Errorf("%w: invalid JSON", errCorruptRecord)
		}
	case opTopicDelete:
	case opUnsubscribe:
		o.name = d.string()
	case opTier, opTenant:
		o.name = d.string()
		o.js = append([]byte(nil), d.bytes()...)
		if d.err == nil && len(o.js) > 0 && !json.Valid(o.js) {
			return o, fmt.Errorf("%w: invalid JSON", errCorruptRecord)
		}
	case opTaskLease, opTaskFail, opTaskFinish, opTaskState:
		o.decodeTask(&d)
	default:
		return o, fmt.Errorf("%w: unknown type %d", errCorruptRecord, rec[0])
	}
	if d.err != nil {
		return o, d.err
	}
	if len(d.b) != 0 {
		return o, fmt.Errorf("%w: %d trailing bytes", errCorruptRecord, len(d.b))
	}
	return o, nil
}
