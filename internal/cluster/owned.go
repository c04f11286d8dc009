package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/natsjournal"
)

// reasonShutdown is why a node stops serving when it shuts down.
const reasonShutdown = "node shutting down"

// owned is a partition whose lease this node holds.
type owned struct {
	p        int
	ctx      context.Context // cancelled when the node stops serving p
	cancel   context.CancelFunc
	deadline *time.Timer   // fires when the lease may be about to expire
	ran      chan struct{} // closed when the engine's Run returns
	failOnce sync.Once     // reacts to the first failed journal write

	revMu sync.Mutex // guards rev
	rev   uint64     // revision of the lease key this node last wrote

	// Guarded by Node.mu.
	j       *natsjournal.Journal
	eng     *engine.Engine
	serving bool
	stopped bool
}

func (o *owned) revision() uint64 {
	o.revMu.Lock()
	defer o.revMu.Unlock()
	return o.rev
}

// takeOver creates partition p's lease and, if that succeeds, opens its
// journal (fencing the previous owner), recovers its engine and starts
// serving it. It reports whether the node now serves p.
func (n *Node) takeOver(ctx context.Context, p int, wg *sync.WaitGroup) bool {
	sent := time.Now()
	cctx, cancel := context.WithTimeout(ctx, n.renew)
	rev, err := n.kv.Create(cctx, partitionKey(p), n.value())
	cancel()
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
			n.log.Warn("taking a lease failed", "partition", p, "err", err)
		}
		return false
	}
	octx, ocancel := context.WithCancel(context.Background())
	o := &owned{p: p, rev: rev, ctx: octx, cancel: ocancel, ran: make(chan struct{})}
	o.deadline = time.AfterFunc(n.stopWait-time.Since(sent), func() { n.stop(o, "lease not renewed in time") })
	n.mu.Lock()
	n.parts[p] = o
	n.mu.Unlock()
	wg.Go(func() { n.hold(o) })

	start := time.Now()
	j, err := n.openJournal(o.ctx, p)
	if err != nil {
		n.log.Error("opening a partition's journal failed", "partition", p, "err", err)
		n.stop(o, "journal did not open")
		n.release(o)
		return false
	}
	onErr := func(err error) {
		o.failOnce.Do(func() {
			go func() {
				n.stop(o, "journal write failed: "+err.Error())
				n.release(o)
			}()
		})
	}
	eng, err := engine.Open(o.ctx, engine.Options{
		Journals: []journal.Journal{watched{Journal: j, onErr: onErr}},
		Limits:   n.cfg.Limits,
		Logger:   n.log.With("partition", p),
		TopicARN: n.cfg.TopicARN,
	})
	if err != nil {
		j.Close()
		n.log.Error("recovering a partition failed", "partition", p, "err", err)
		n.stop(o, "recovery failed")
		n.release(o)
		return false
	}
	go func() {
		eng.Run(o.ctx)
		close(o.ran)
	}()
	// The engine gets the cluster's settings before its first request,
	// and no change can fall between the two (settings.mu).
	n.set.mu.Lock()
	err = n.set.applyAll(o.ctx, eng)
	n.mu.Lock()
	if o.stopped { // stop cancelled o.ctx, which ends Run
		n.mu.Unlock()
		n.set.mu.Unlock()
		<-o.ran
		j.Close()
		return false
	}
	if err != nil {
		o.j, o.eng = j, eng // for stop, which waits for Run and closes j
		n.mu.Unlock()
		n.set.mu.Unlock()
		n.log.Error("applying the cluster's settings failed", "partition", p, "err", err)
		n.stop(o, "settings not applied")
		n.release(o)
		return false
	}
	o.j, o.eng, o.serving = j, eng, true
	n.mu.Unlock()
	n.set.mu.Unlock()
	n.log.Info("serving partition", "partition", p, "recovered_in", time.Since(start).Round(time.Millisecond), "last_index", j.LastIndex())
	if n.cfg.OnChange != nil {
		n.cfg.OnChange(p, true)
	}
	return true
}

// hold renews o's lease until the node stops serving o.p. A refused
// renewal — someone else wrote the key, or it expired — stops serving at
// once; failed ones are retried until o's deadline stops it.
func (n *Node) hold(o *owned) {
	t := time.NewTicker(n.renew)
	defer t.Stop()
	for {
		select {
		case <-o.ctx.Done():
			return
		case <-t.C:
		}
		sent := time.Now()
		cctx, cancel := context.WithTimeout(o.ctx, n.renew)
		rev, err := n.kv.Update(cctx, partitionKey(o.p), n.value(), o.revision())
		cancel()
		switch {
		case err == nil:
			o.revMu.Lock()
			o.rev = rev
			o.revMu.Unlock()
			o.deadline.Reset(n.stopWait - time.Since(sent))
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyExists):
			n.stop(o, "lease lost: "+err.Error())
			return
		case o.ctx.Err() == nil:
			n.log.Warn("renewing a lease failed", "partition", o.p, "err", err)
		}
	}
}

// stop makes the node stop serving o.p at once — Engine no longer returns
// it — then stops its engine and closes its journal. It does not release
// the lease. It is safe to call more than once and from any goroutine but
// the engine's.
func (n *Node) stop(o *owned, reason string) {
	n.mu.Lock()
	if o.stopped {
		n.mu.Unlock()
		return
	}
	o.stopped = true
	wasServing := o.serving
	o.serving = false
	if n.parts[o.p] == o {
		delete(n.parts, o.p)
	}
	j, eng := o.j, o.eng
	n.mu.Unlock()
	o.deadline.Stop()
	if wasServing && n.cfg.OnChange != nil {
		n.cfg.OnChange(o.p, false)
	}
	level := slog.LevelWarn
	if reason == reasonShutdown {
		level = slog.LevelInfo
	}
	n.log.Log(context.Background(), level, "stopped serving partition", "partition", o.p, "reason", reason)
	o.cancel()
	if eng != nil {
		<-o.ran
	}
	if j != nil {
		j.Close()
	}
}
