package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sluicehq/sluice/internal/journal"
)

// A snapshot is a header line followed by records in the journal's record
// encoding, each prefixed by its length as an unsigned varint: the
// partition's state written as the shortest log that rebuilds it. The
// journal checksums the whole snapshot.
const snapshotHeader = "sluice-snapshot v1\n"

// maybeSnapshot starts writing a snapshot when the journal since the last one
// has outgrown both the live state and the configured minimum, so that
// reclaiming space costs O(1) amortised per operation.
func (p *partition) maybeSnapshot() {
	if p.snap || p.logSize < max(p.e.opts.SnapshotMinBytes, p.live) {
		return
	}
	p.snap = true
	index := p.index
	ops := p.capture()
	p.logSize = 0
	start := time.Now()
	p.e.wg.Go(func() {
		err := p.j.InstallSnapshot(p.e.runCtx, index, func(w io.Writer) error { return writeSnapshot(w, ops) })
		if err != nil && p.e.runCtx.Err() == nil {
			p.e.log.Error("snapshot failed", "partition", p.id, "index", index, "err", err)
		} else if err == nil {
			p.e.log.Info("snapshot installed", "partition", p.id, "index", index, "records", len(ops), "duration", time.Since(start))
		}
		call(context.WithoutCancel(p.e.runCtx), p, func(reply func(struct{}, error)) {
			p.snap = false
			reply(struct{}{}, nil)
		})
	})
}

// capture returns the ops that rebuild the partition's current state. It
// copies what later changes could alter; bodies and attributes are never
// changed in place, so they are shared.
func (p *partition) capture() []op {
	var ops []op
	now := p.now()
	for _, q := range p.byID {
		rec := configToRec(cloneConfig(q.cfg))
		if q.push != nil {
			push := *q.push
			rec.Push = &push
		}
		ops = append(ops, op{typ: opQueueCreate, queue: q.id, config: rec})
		ops = append(ops, op{typ: opQueueSeq, queue: q.id, seq: q.nextSeq})
		ops = append(ops, q.captureTenants()...)
		for k, d := range q.dedup {
			if d.expires > now {
				ops = append(ops, op{typ: opDedup, queue: q.id, dedup: k, msgID: d.id, seq: d.seq, expires: d.expires})
			}
		}
		seqs := make([]uint64, 0, len(q.msgs))
		for seq := range q.msgs {
			seqs = append(seqs, seq)
		}
		slices.Sort(seqs)
		for _, seq := range seqs {
			m := q.msgs[seq]
			r := msgRec{
				id: m.id, sentAt: m.sentAt, tenant: m.tenant, group: m.group, dedup: m.dedup,
				source: m.source, trace: m.trace, receives: int64(m.receives), first: m.first, nonce: m.nonce,
				attrs: m.attrs, body: m.body,
			}
			if m.state == stateDelayed || m.state == stateInFlight {
				r.visible = m.visible
			}
			ops = append(ops, op{typ: opSend, queue: q.id, seq: seq, msg: r})
			if t := m.task; t != nil {
				ops = append(ops, op{typ: opTaskState, queue: q.id, seq: seq, task: taskRec{at: t.started, worker: t.worker, err: t.err, failed: t.failed}})
			}
		}
		ops = q.captureTasks(ops)
	}
	ops = append(ops, p.captureTenants()...)
	return append(ops, p.captureTopics(now)...)
}

func writeSnapshot(w io.Writer, ops []op) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(snapshotHeader)
	var rec, n []byte
	put := func(o *op) {
		rec = o.encode(rec[:0])
		n = binary.AppendUvarint(n[:0], uint64(len(rec)))
		bw.Write(n)
		bw.Write(rec)
	}
	for i := range ops {
		if ops[i].kept != nil {
			for _, d := range ops[i].kept {
				o := d.finishOp(ops[i].queue)
				put(&o)
			}
			continue
		}
		put(&ops[i])
	}
	return bw.Flush()
}

// loadSnapshot applies a snapshot's records.
func (p *partition) loadSnapshot(r io.Reader, now int64) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	hdr := make([]byte, len(snapshotHeader))
	if _, err := io.ReadFull(br, hdr); err != nil || string(hdr) != snapshotHeader {
		return 0, fmt.Errorf("snapshot: bad header")
	}
	var rec []byte
	n := 0
	for {
		size, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return n, nil
		}
		if err != nil || size > 1<<30 {
			return n, fmt.Errorf("snapshot: record %d: bad length", n)
		}
		rec = slices.Grow(rec[:0], int(size))[:size]
		if _, err := io.ReadFull(br, rec); err != nil {
			return n, fmt.Errorf("snapshot: record %d: %w", n, err)
		}
		o, err := decodeOp(rec)
		if err != nil {
			return n, fmt.Errorf("snapshot: record %d: %w", n, err)
		}
		p.apply(&o, now)
		n++
	}
}

// recover rebuilds the partition from its snapshot and journal.
func (p *partition) recover(ctx context.Context) error {
	start := time.Now()
	now := p.now()
	index, r, err := p.j.OpenSnapshot(ctx)
	snapRecs := 0
	switch {
	case err == nil:
		snapRecs, err = p.loadSnapshot(r, now)
		r.Close()
		if err != nil {
			return fmt.Errorf("partition %d: %w", p.id, err)
		}
	case errors.Is(err, journal.ErrNoSnapshot):
		index = 0
	default:
		return fmt.Errorf("partition %d: opening snapshot: %w", p.id, err)
	}
	replayed := 0
	err = p.j.Replay(ctx, index, func(i uint64, rec []byte) error {
		o, err := decodeOp(rec)
		if err != nil {
			return fmt.Errorf("journal record %d: %w", i, err)
		}
		p.apply(&o, now)
		p.logSize += int64(len(rec))
		replayed++
		return nil
	})
	if err != nil {
		return fmt.Errorf("partition %d: replay: %w", p.id, err)
	}
	p.index = p.j.LastIndex()
	msgs := 0
	for _, q := range p.queues {
		q.housekeep(now)
		q.stats = counters{}
		q.resetTenantStats()
		msgs += len(q.msgs)
	}
	for _, t := range p.topics {
		t.housekeep(now)
	}
	p.e.log.Info("partition recovered", "partition", p.id, "snapshot_index", index,
		"snapshot_records", snapRecs, "replayed", replayed, "queues", len(p.queues),
		"messages", msgs, "duration", time.Since(start))
	return nil
}
