package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// benchMagic starts every bench message body.
const benchMagic = "sluice-bench"

// maxConsecutiveErrors stops a producer or consumer that fails this many
// times in a row: the server is gone or refusing the load.
const maxConsecutiveErrors = 50

// msgKey identifies a bench message within a run: producer and sequence.
type msgKey struct {
	producer uint32
	seq      uint32
}

// encodeBody returns a body of at least size bytes carrying the run id,
// producer, sequence and send time, padded with '.'.
func encodeBody(run string, k msgKey, sent time.Time, size int) []byte {
	b := make([]byte, 0, max(size, 64))
	b = append(b, benchMagic...)
	b = append(b, ' ')
	b = append(b, run...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(k.producer), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(k.seq), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, sent.UnixNano(), 10)
	b = append(b, ' ')
	for len(b) < size {
		b = append(b, '.')
	}
	return b
}

// decodeBody parses a body made by encodeBody. ok is false for bodies of
// other runs or programs.
func decodeBody(run string, body []byte) (k msgKey, sent time.Time, ok bool) {
	f := bytes.SplitN(body, []byte{' '}, 6)
	if len(f) < 6 || string(f[0]) != benchMagic || string(f[1]) != run {
		return msgKey{}, time.Time{}, false
	}
	p, err1 := strconv.ParseUint(string(f[2]), 10, 32)
	s, err2 := strconv.ParseUint(string(f[3]), 10, 32)
	ns, err3 := strconv.ParseInt(string(f[4]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return msgKey{}, time.Time{}, false
	}
	return msgKey{uint32(p), uint32(s)}, time.Unix(0, ns), true
}

// loadConfig is what one load run does.
type loadConfig struct {
	queue     string
	fifo      bool
	run       string // run id carried in every body
	producers int
	consumers int
	size      int
	batch     int
	duration  time.Duration // send phase bound
	count     int           // total messages, 0 for no bound but duration
	drain     time.Duration // give up draining after this long without progress
}

// loadResult is what a load run measured.
type loadResult struct {
	Sent         int64          `json:"sent"` // confirmed sends
	SendRequests int64          `json:"send_requests"`
	SendErrors   int64          `json:"send_errors"`
	SendTime     time.Duration  `json:"send_time_ns"`
	Received     int64          `json:"received"`   // distinct messages of this run delivered
	Deliveries   int64          `json:"deliveries"` // every delivery, duplicates included
	ReceiveTime  time.Duration  `json:"receive_time_ns"`
	Lost         int64          `json:"lost"`       // confirmed but never delivered
	Duplicated   int64          `json:"duplicated"` // deliveries beyond the first
	Unconfirmed  int64          `json:"unconfirmed_delivered"`
	Foreign      int64          `json:"foreign"` // delivered bodies of other runs
	AckErrors    int64          `json:"ack_errors"`
	RecvErrors   int64          `json:"receive_errors"`
	SendLatency  latencySummary `json:"send_latency"`
	E2ELatency   latencySummary `json:"end_to_end_latency"`
	Drained      bool           `json:"drained"`
}

// loadRun holds the state of one run shared by its goroutines.
type loadRun struct {
	cl    *client.Client
	cfg   loadConfig
	start time.Time

	remaining atomic.Int64 // messages left to send in count mode

	// confirmed[p] lists producer p's sequences whose send was confirmed;
	// it is written only by producer p until the send phase ends.
	confirmed [][]bool
	sendLat   []histogram // per producer
	sendReqs  atomic.Int64
	sendErrs  atomic.Int64

	mu sync.Mutex // guards the fields below
	// delivered[p][s] counts the deliveries of producer p's sequence s.
	// Slices rather than a map keep the bench's own bookkeeping from
	// taking CPU from an embedded server.
	delivered [][]uint32
	// missing counts the confirmed messages not yet delivered, once the
	// producers are done and waitDrained has counted them; -1 before.
	missing     int64
	deliveries  int64
	foreign     int64
	lastReceive time.Time
	e2eLat      histogram

	failures []error
	failed   chan struct{} // closed on the first failure

	ackErrs  atomic.Int64
	recvErrs atomic.Int64
}

// runLoad sends with cfg.producers goroutines until the duration or count
// is reached while cfg.consumers goroutines receive and acknowledge, then
// drains the queue and counts lost and duplicated messages.
func runLoad(ctx context.Context, cl *client.Client, cfg loadConfig) (loadResult, error) {
	r := &loadRun{
		cl:        cl,
		cfg:       cfg,
		confirmed: make([][]bool, cfg.producers),
		sendLat:   make([]histogram, cfg.producers),
		delivered: make([][]uint32, cfg.producers),
		missing:   -1,
		failed:    make(chan struct{}),
	}
	r.remaining.Store(int64(cfg.count))
	recvCtx, stopReceiving := context.WithCancel(ctx)
	defer stopReceiving()

	r.start = time.Now()
	deadline := r.start.Add(cfg.duration)
	var producers, consumers sync.WaitGroup
	for p := range cfg.producers {
		producers.Go(func() { r.fail(r.produce(ctx, deadline, p)) })
	}
	for range cfg.consumers {
		consumers.Go(func() { r.fail(r.consume(recvCtx)) })
	}
	producers.Wait()
	sendTime := time.Since(r.start)

	drained := r.cfg.consumers == 0 || r.waitDrained(ctx)
	stopReceiving()
	consumers.Wait()

	res := r.result(sendTime)
	res.Drained = drained
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return res, errors.Join(r.failures...)
}

// fail records a goroutine's error, if any, and signals waitDrained.
func (r *loadRun) fail(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) == 0 {
		close(r.failed)
	}
	r.failures = append(r.failures, err)
}

// produce sends batches as producer p until the deadline passes, ctx is
// done or the count is reached. A send in flight at the deadline finishes.
// Sequences are confirmed only when the send returns success.
func (r *loadRun) produce(ctx context.Context, deadline time.Time, p int) error {
	fails := 0
	for seq := 0; ctx.Err() == nil && time.Now().Before(deadline); {
		n := r.cfg.batch
		if r.cfg.count > 0 {
			left := r.remaining.Add(-int64(n))
			if left+int64(n) <= 0 {
				return nil
			}
			if left < 0 {
				n += int(left)
			}
		}
		in := make([]sluice.SendInput, n)
		now := time.Now()
		for i := range in {
			k := msgKey{uint32(p), uint32(seq + i)}
			in[i].Body = encodeBody(r.cfg.run, k, now, r.cfg.size)
			if r.cfg.fifo {
				in[i].GroupID = "p" + strconv.Itoa(p)
				in[i].DedupID = r.cfg.run + "-" + strconv.Itoa(p) + "-" + strconv.Itoa(seq+i)
			}
		}
		var err error
		if n == 1 {
			_, err = r.cl.Send(ctx, r.cfg.queue, in[0])
		} else {
			_, err = r.cl.SendBatch(ctx, r.cfg.queue, in)
		}
		r.sendReqs.Add(1)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.sendErrs.Add(1)
			if fails++; fails >= maxConsecutiveErrors {
				return fmt.Errorf("producer %d: %d sends failed in a row, the last: %w", p, fails, err)
			}
			seq += n // never reuse a sequence: the failed send may have landed
			continue
		}
		fails = 0
		r.sendLat[p].record(time.Since(now))
		for len(r.confirmed[p]) < seq {
			r.confirmed[p] = append(r.confirmed[p], false)
		}
		for range n {
			r.confirmed[p] = append(r.confirmed[p], true)
		}
		seq += n
	}
	return nil
}

// consume receives and acknowledges batches until ctx is done.
func (r *loadRun) consume(ctx context.Context) error {
	wait := 500 * time.Millisecond
	opts := sluice.ReceiveOptions{Max: r.cfg.batch, WaitTime: &wait}
	fails := 0
	receipts := make([]string, 0, r.cfg.batch)
	for ctx.Err() == nil {
		msgs, err := r.cl.Receive(ctx, r.cfg.queue, opts)
		now := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.recvErrs.Add(1)
			if fails++; fails >= maxConsecutiveErrors {
				return fmt.Errorf("consumer: %d receives failed in a row, the last: %w", fails, err)
			}
			continue
		}
		fails = 0
		receipts = receipts[:0]
		r.mu.Lock()
		for _, m := range msgs {
			receipts = append(receipts, m.Receipt)
			r.deliveries++
			k, sent, ok := decodeBody(r.cfg.run, m.Body)
			if !ok || int(k.producer) >= len(r.delivered) {
				r.foreign++
				continue
			}
			d := r.delivered[k.producer]
			if int(k.seq) >= len(d) {
				d = slices.Grow(d, int(k.seq)+1-len(d))[:k.seq+1]
				r.delivered[k.producer] = d
			}
			if d[k.seq]++; d[k.seq] == 1 && r.missing > 0 && r.isConfirmed(k) {
				r.missing--
			}
			r.e2eLat.record(now.Sub(sent))
		}
		if len(msgs) > 0 {
			r.lastReceive = now
		}
		r.mu.Unlock()
		if len(receipts) == 0 {
			continue
		}
		// Acks are confirmed with the context of the run, not the
		// consumer's, so a drained run does not abandon them.
		actx := context.WithoutCancel(ctx)
		if len(receipts) == 1 {
			if err := r.cl.Ack(actx, r.cfg.queue, receipts[0]); err != nil {
				r.ackErrs.Add(1)
			}
			continue
		}
		results, err := r.cl.AckBatch(actx, r.cfg.queue, receipts)
		if err != nil {
			r.ackErrs.Add(int64(len(receipts)))
			continue
		}
		for _, err := range results {
			if err != nil {
				r.ackErrs.Add(1)
			}
		}
	}
	return nil
}

// waitDrained waits until every confirmed message has been delivered, a
// consumer fails, or no delivery arrives for cfg.drain. It reports whether
// everything was delivered.
func (r *loadRun) waitDrained(ctx context.Context) bool {
	// The producers are done: count the confirmed messages not yet
	// delivered once, and let the consumers count down as they deliver.
	r.mu.Lock()
	r.missing = 0
	for p, seqs := range r.confirmed {
		for s, ok := range seqs {
			if ok && r.deliveredCount(msgKey{uint32(p), uint32(s)}) == 0 {
				r.missing++
			}
		}
	}
	r.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastProgress, lastDeliveries := time.Now(), int64(-1)
	for {
		r.mu.Lock()
		missing, deliveries := r.missing, r.deliveries
		r.mu.Unlock()
		if missing == 0 {
			return true
		}
		if deliveries != lastDeliveries {
			lastProgress, lastDeliveries = time.Now(), deliveries
		}
		if time.Since(lastProgress) > r.cfg.drain {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-r.failed:
			return false
		case <-tick.C:
		}
	}
}

// result totals what the goroutines recorded. It must be called after they
// have stopped.
func (r *loadRun) result(sendTime time.Duration) loadResult {
	res := loadResult{
		SendRequests: r.sendReqs.Load(),
		SendErrors:   r.sendErrs.Load(),
		SendTime:     sendTime,
		Deliveries:   r.deliveries,
		Foreign:      r.foreign,
		AckErrors:    r.ackErrs.Load(),
		RecvErrors:   r.recvErrs.Load(),
		E2ELatency:   r.e2eLat.summary(),
	}
	if !r.lastReceive.IsZero() {
		res.ReceiveTime = r.lastReceive.Sub(r.start)
	}
	var lat histogram
	for p := range r.sendLat {
		lat.merge(&r.sendLat[p])
	}
	res.SendLatency = lat.summary()
	for p, counts := range r.delivered {
		for s, n := range counts {
			if n == 0 {
				continue
			}
			res.Received++
			res.Duplicated += int64(n - 1)
			if !r.isConfirmed(msgKey{uint32(p), uint32(s)}) {
				res.Unconfirmed++
			}
		}
	}
	for p, seqs := range r.confirmed {
		for s, ok := range seqs {
			if !ok {
				continue
			}
			res.Sent++
			if r.cfg.consumers > 0 && r.deliveredCount(msgKey{uint32(p), uint32(s)}) == 0 {
				res.Lost++
			}
		}
	}
	return res
}

// isConfirmed reports whether the send of k was confirmed. It may be called
// by consumers only once the producers are done.
func (r *loadRun) isConfirmed(k msgKey) bool {
	seqs := r.confirmed[k.producer]
	return int(k.seq) < len(seqs) && seqs[k.seq]
}

// deliveredCount returns how many times k was delivered. r.mu must be held
// while consumers run.
func (r *loadRun) deliveredCount(k msgKey) uint32 {
	d := r.delivered[k.producer]
	if int(k.seq) < len(d) {
		return d[k.seq]
	}
	return 0
}
