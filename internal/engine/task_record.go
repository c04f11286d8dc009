package engine

import "encoding/binary"

// taskRec holds the task fields of the opTask* records.
type taskRec struct {
	state    taskState
	failed   bool   // opTaskState: the last attempt failed and none started since
	full     bool   // opTaskFinish: carries the fields below marked opTaskFinish; else replay takes them from the live message
	at       int64  // lease start, failure time or finish time
	attempts int64  // opTaskFinish
	sentAt   int64  // opTaskFinish
	started  int64  // opTaskFinish: start of the last attempt
	tenant   string // opTaskFinish
	worker   string
	err      string
	dlq      string // opTaskFinish: the dead-letter queue a dead task went to
	result   []byte // opTaskFinish
}

// encodeTask appends the fields of a task record after its type and queue.
func (o *op) encodeTask(b []byte) []byte {
	t := &o.task
	b = binary.AppendUvarint(b, o.seq)
	switch o.typ {
	case opTaskLease:
		b = binary.AppendUvarint(b, o.nonce)
		b = binary.AppendVarint(b, o.visible)
		b = binary.AppendVarint(b, o.count)
		b = binary.AppendVarint(b, o.first)
		b = binary.AppendVarint(b, t.at)
		b = appendString(b, t.worker)
	case opTaskFail:
		b = binary.AppendVarint(b, o.visible)
		b = binary.AppendVarint(b, t.at)
		b = appendString(b, t.err)
	case opTaskFinish:
		b = append(b, o.msgID[:]...)
		b = append(b, byte(t.state))
		b = binary.AppendVarint(b, t.at)
		if t.full {
			b = append(b, 1)
			b = binary.AppendVarint(b, t.attempts)
			b = binary.AppendVarint(b, t.sentAt)
			b = binary.AppendVarint(b, t.started)
			b = appendString(b, t.tenant)
			b = appendString(b, t.worker)
		} else {
			b = append(b, 0)
		}
		b = appendString(b, t.err)
		b = appendString(b, t.dlq)
		b = appendBytes(b, t.result)
	case opTaskState:
		f := byte(0)
		if t.failed {
			f = 1
		}
		b = append(b, f)
		b = binary.AppendVarint(b, t.at)
		b = appendString(b, t.worker)
		b = appendString(b, t.err)
	}
	return b
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errCorruptRecord
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// decodeTask reads the fields encodeTask wrote.
func (o *op) decodeTask(d *decoder) {
	t := &o.task
	o.seq = d.uvarint()
	switch o.typ {
	case opTaskLease:
		o.nonce = d.uvarint()
		o.visible = d.varint()
		o.count = d.varint()
		o.first = d.varint()
		t.at = d.varint()
		t.worker = d.string()
	case opTaskFail:
		o.visible = d.varint()
		t.at = d.varint()
		t.err = d.string()
	case opTaskFinish:
		o.msgID = d.id()
		t.state = taskState(d.byte())
		t.at = d.varint()
		switch d.byte() {
		case 0:
		case 1:
			t.full = true
			t.attempts = d.varint()
			t.sentAt = d.varint()
			t.started = d.varint()
			t.tenant = d.string()
			t.worker = d.string()
		default:
			if d.err == nil {
				d.err = errCorruptRecord
			}
		}
		t.err = d.string()
		t.dlq = d.string()
		t.result = append([]byte(nil), d.bytes()...)
		if d.err == nil && (t.state == 0 || t.state > taskPurged) {
			d.err = errCorruptRecord
		}
	case opTaskState:
		f := d.byte()
		if f > 1 && d.err == nil {
			d.err = errCorruptRecord
		}
		t.failed = f == 1
		t.at = d.varint()
		t.worker = d.string()
		t.err = d.string()
	}
}
