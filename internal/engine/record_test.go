package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sluicehq/sluice"
)

func sampleOps() []op {
	return []op{
		{typ: opQueueCreate, queue: 1, config: configToRec(sluice.QueueConfig{Name: "q", Type: sluice.Standard, VisibilityTimeout: 30e9, Retention: 60e9, MaxMessageSize: 1024, Tags: map[string]string{"a": "b"}})},
		{typ: opQueueUpdate, queue: 1, config: configToRec(sluice.QueueConfig{Name: "q", DeadLetter: &sluice.DeadLetterPolicy{Queue: "d", MaxReceives: 3}})},
		{typ: opSend, queue: 7, seq: 42, msg: msgRec{
			id: [16]byte{1, 2, 3}, sentAt: 1700000000000000000, visible: -5, tenant: "t", group: "g", dedup: "d",
			source: "s", receives: 3, first: 99, nonce: 1 << 63,
			attrs: encodeAttrs(map[string]sluice.Attribute{"b": {Type: "Binary", Binary: []byte{0, 1}}, "s": {Type: "String.x", String: "v"}}),
			body:  []byte("body"),
		}},
		{typ: opSend, queue: 7, seq: 43, msg: msgRec{body: []byte{}}},
		{typ: opSend, queue: 7, seq: 44, msg: msgRec{body: []byte("x"), trace: "Root=1-5759e988-bd862e3fe1be46a994272793"}},
		{typ: opQueueCreate, queue: 2, config: configToRec(sluice.QueueConfig{Name: "f.fifo", Type: sluice.FIFO, DedupScope: sluice.DedupPerGroup,
			ThroughputLimit: "perMessageGroupId", Policy: `{"Version":"2012-10-17"}`, RedriveAllowPolicy: `{"redrivePermission":"denyAll"}`,
			KMSKeyID: "alias/aws/sqs", KMSDataKeyReuse: 300e9, ManagedSSE: true})},
		{typ: opLease, queue: 7, seq: 42, nonce: 5, visible: 6, count: 2, first: 1},
		{typ: opVisibility, queue: 7, seq: 42, visible: 100},
		{typ: opDelete, queue: 7, seq: 42},
		{typ: opPurge, queue: 7, seq: 41},
		{typ: opQueueDelete, queue: 7},
		{typ: opDedup, queue: 7, dedup: "x", msgID: [16]byte{9}, seq: 3, expires: 77},
		{typ: opQueueSeq, queue: 7, seq: 1000},
		{typ: opTier, name: "pro", js: []byte(`{"w":3,"r":10,"b":5,"mif":2}`)},
		{typ: opTenant, queue: 7, name: "acme", js: []byte(`{"tier":"pro","p":{"w":2}}`)},
		{typ: opTenant, name: "acme"},
		{typ: opQueueCreate, queue: 8, config: configToRec(sluice.QueueConfig{Name: "t", Tasks: &sluice.TaskPolicy{MaxAttempts: 3, MinBackoff: 1e9}})},
		{typ: opTaskLease, queue: 8, seq: 4, nonce: 5, visible: 6, count: 2, first: 1, task: taskRec{at: 3, worker: "w"}},
		{typ: opTaskFail, queue: 8, seq: 4, visible: 60, task: taskRec{at: 7, err: "boom"}},
		{typ: opTaskFinish, queue: 8, seq: 4, msgID: [16]byte{4}, task: taskRec{
			full: true, state: taskSucceeded, at: 9, attempts: 2, sentAt: 1, started: 8, tenant: "t", worker: "w", err: "e", dlq: "d", result: []byte("r"),
		}},
		{typ: opTaskFinish, queue: 8, seq: 5, msgID: [16]byte{5}, task: taskRec{state: taskDead, at: 9, err: "e", dlq: "d"}},
		{typ: opTaskState, queue: 8, seq: 5, task: taskRec{failed: true, at: 3, worker: "w", err: "e"}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, o := range sampleOps() {
		rec := o.encode(nil)
		got, err := decodeOp(rec)
		if err != nil {
			t.Fatalf("decodeOp(encode(%v)) = %v", o.typ, err)
		}
		if diff := cmp.Diff(o, got, cmp.AllowUnexported(op{}, msgRec{}, taskRec{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip of type %d (-want +got):\n%s", o.typ, diff)
		}
		// Every strict prefix is rejected, never misread.
		for i := range rec {
			if _, err := decodeOp(rec[:i]); err == nil {
				t.Errorf("decodeOp(type %d truncated to %d of %d bytes) succeeded", o.typ, i, len(rec))
			}
		}
	}
}

func TestAttributesRoundTrip(t *testing.T) {
	in := map[string]sluice.Attribute{
		"b": {Type: "Binary", Binary: []byte{0, 1}},
		"e": {Type: "Binary", Binary: []byte{}},
		"s": {Type: "String.x", String: "v"},
		"n": {Type: "Number", String: "-1.5e3"},
	}
	enc := encodeAttrs(in)
	if !validAttrs(enc) {
		t.Fatal("validAttrs(encodeAttrs(x)) = false")
	}
	if diff := cmp.Diff(in, decodeAttrs(enc)); diff != "" {
		t.Errorf("decodeAttrs(encodeAttrs(x)) differs (-want +got):\n%s", diff)
	}
	if encodeAttrs(nil) != nil || decodeAttrs(nil) != nil {
		t.Error("no attributes should encode and decode to nil")
	}
}

func FuzzDecodeOp(f *testing.F) {
	for _, o := range sampleOps() {
		f.Add(o.encode(nil))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, rec []byte) {
		o, err := decodeOp(rec)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to something that decodes the same.
		again, err := decodeOp(o.encode(nil))
		if err != nil {
			t.Fatalf("re-decoding a decoded record failed: %v", err)
		}
		if diff := cmp.Diff(o, again, cmp.AllowUnexported(op{}, msgRec{}, taskRec{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("decode(encode(decode(x))) differs (-first +second):\n%s", diff)
		}
	})
}
