package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

// Local gives the push worker the engines this node serves as if they were
// one. An HTTP subscription's messages wait in a hidden queue of its topic's
// engine, so each node delivers the subscriptions of the partitions it
// serves; when a partition moves, its subscriptions leave this node's
// listing and join the new owner's, and deliveries in flight are made
// again after their lease (push delivery is at-least-once anyway).
type Local struct {
	n *Node

	mu    sync.Mutex
	where map[string]int // hidden queue -> partition, from the last listing
}

// Local returns the view of the engines n serves.
func (n *Node) Local() *Local {
	return &Local{n: n, where: make(map[string]int)}
}

// PushTargets lists the HTTP subscriptions of every partition this node
// serves.
func (l *Local) PushTargets(ctx context.Context) ([]engine.PushTarget, error) {
	var all []engine.PushTarget
	where := make(map[string]int)
	for _, p := range l.n.Serving() {
		eng, err := l.n.Engine(p)
		if err != nil {
			continue // stopped meanwhile
		}
		ts, err := eng.PushTargets(ctx)
		if errors.Is(err, sluice.ErrClosed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			where[t.Queue] = p
		}
		all = append(all, ts...)
	}
	l.mu.Lock()
	l.where = where
	l.mu.Unlock()
	return all, nil
}

// engineOf returns the engine holding a hidden queue of the last listing.
func (l *Local) engineOf(queue string) (*engine.Engine, error) {
	l.mu.Lock()
	p, ok := l.where[queue]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", sluice.ErrQueueNotFound, queue)
	}
	eng, err := l.n.Engine(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sluice.ErrUnavailable, err)
	}
	return eng, nil
}

func (l *Local) Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error) {
	eng, err := l.engineOf(queue)
	if err != nil {
		return nil, err
	}
	return eng.Receive(ctx, queue, opts)
}

func (l *Local) Ack(ctx context.Context, queue string, receipts []string) ([]error, error) {
	eng, err := l.engineOf(queue)
	if err != nil {
		return nil, err
	}
	return eng.Ack(ctx, queue, receipts)
}

func (l *Local) ChangeVisibility(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error) {
	eng, err := l.engineOf(queue)
	if err != nil {
		return nil, err
	}
	return eng.ChangeVisibility(ctx, queue, changes)
}

func (l *Local) RemoveDrainedPushQueue(ctx context.Context, name string) (bool, error) {
	eng, err := l.engineOf(name)
	if err != nil {
		return false, err
	}
	return eng.RemoveDrainedPushQueue(ctx, name)
}

// QueueMetrics returns the metrics of the queues of every partition this
// node serves, in name order: each node reports what it serves, so a
// cluster's metrics are the sum over its nodes (a queue appears on the node
// serving it, and moves with its partition).
func (l *Local) QueueMetrics(ctx context.Context) ([]engine.QueueMetrics, error) {
	var all []engine.QueueMetrics
	for _, p := range l.n.Serving() {
		eng, err := l.n.Engine(p)
		if err != nil {
			continue
		}
		ms, err := eng.QueueMetrics(ctx)
		if errors.Is(err, sluice.ErrClosed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	slices.SortFunc(all, func(a, b engine.QueueMetrics) int { return strings.Compare(a.Name, b.Name) })
	return all, nil
}

// TopicMetrics returns the metrics of the topics of every partition this
// node serves, in name order.
func (l *Local) TopicMetrics(ctx context.Context) ([]engine.TopicMetrics, error) {
	var all []engine.TopicMetrics
	for _, p := range l.n.Serving() {
		eng, err := l.n.Engine(p)
		if err != nil {
			continue
		}
		ms, err := eng.TopicMetrics(ctx)
		if errors.Is(err, sluice.ErrClosed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	slices.SortFunc(all, func(a, b engine.TopicMetrics) int { return strings.Compare(a.Name, b.Name) })
	return all, nil
}

// ListQueues lists the queues of the partitions this node serves, in name
// order, at most limit (1000 when not positive) after after.
func (l *Local) ListQueues(ctx context.Context, prefix, after string, limit int) ([]sluice.QueueConfig, error) {
	if limit <= 0 {
		limit = maxPage
	}
	var all []sluice.QueueConfig
	for _, p := range l.n.Serving() {
		eng, err := l.n.Engine(p)
		if err != nil {
			continue
		}
		qs, err := eng.ListQueues(ctx, prefix, after, limit)
		if errors.Is(err, sluice.ErrClosed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, qs...)
	}
	slices.SortFunc(all, func(a, b sluice.QueueConfig) int { return strings.Compare(a.Name, b.Name) })
	return all[:min(len(all), limit)], nil
}

// engineFor returns the engine of the named queue's partition, if this
// node serves it.
func (l *Local) engineFor(queue string) (*engine.Engine, error) {
	eng, err := l.n.Engine(l.n.Partition(queue))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sluice.ErrUnavailable, err)
	}
	return eng, nil
}

func (l *Local) TaskAges(ctx context.Context, queue string, bounds []time.Duration, perTenant bool) (sluice.TaskAges, error) {
	eng, err := l.engineFor(queue)
	if err != nil {
		return sluice.TaskAges{}, err
	}
	return eng.TaskAges(ctx, queue, bounds, perTenant)
}

func (l *Local) OldestTasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	eng, err := l.engineFor(queue)
	if err != nil {
		return nil, err
	}
	return eng.OldestTasks(ctx, queue, q)
}
