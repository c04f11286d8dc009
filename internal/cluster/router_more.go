package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/sluicehq/sluice"
)

// The task and per-queue tenant methods of the Router: those about one
// queue go to the queue's partition like the rest. Tiers and server-wide
// tenant settings are the cluster's (settings.go).

func (r *Router) TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TaskStatus{}, err
	}
	if t.eng != nil {
		return t.eng.TaskStatus(ctx, queue, id)
	}
	return t.remote.Task(ctx, queue, id)
}

func (r *Router) ListTasks(ctx context.Context, queue string, f sluice.TaskFilter) (sluice.TaskPage, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TaskPage{}, err
	}
	if t.eng != nil {
		return t.eng.ListTasks(ctx, queue, f)
	}
	return t.remote.ListTasks(ctx, queue, f)
}

func (r *Router) CompleteTask(ctx context.Context, queue, receipt string, result []byte) (sluice.TaskStatus, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TaskStatus{}, err
	}
	if t.eng != nil {
		return t.eng.CompleteTask(ctx, queue, receipt, result)
	}
	return t.remote.CompleteTask(ctx, queue, receipt, result)
}

func (r *Router) FailTask(ctx context.Context, queue, receipt string, f sluice.TaskFailure) (sluice.TaskStatus, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TaskStatus{}, err
	}
	if t.eng != nil {
		return t.eng.FailTask(ctx, queue, receipt, f)
	}
	return t.remote.FailTask(ctx, queue, receipt, f)
}

func (r *Router) TenantConfigs(ctx context.Context, queue string) ([]sluice.TenantConfig, error) {
	if queue == "" {
		return r.tenantSettings(ctx)
	}
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.TenantConfigs(ctx, queue)
	}
	stats, err := t.remote.QueueTenants(ctx, queue, 0)
	if err != nil {
		return nil, err
	}
	var out []sluice.TenantConfig
	for _, s := range stats {
		c, _, err := t.remote.QueueTenant(ctx, queue, s.Tenant)
		if err != nil {
			return nil, err
		}
		if c.Tier != "" || c.Policy != (sluice.TenantPolicy{}) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (r *Router) TenantConfig(ctx context.Context, queue, tenant string) (sluice.TenantConfig, error) {
	if queue == "" {
		all, err := r.tenantSettings(ctx)
		for _, c := range all {
			if c.Tenant == tenant {
				return c, nil
			}
		}
		return sluice.TenantConfig{Tenant: tenant}, err
	}
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TenantConfig{}, err
	}
	if t.eng != nil {
		return t.eng.TenantConfig(ctx, queue, tenant)
	}
	c, _, err := t.remote.QueueTenant(ctx, queue, tenant)
	return c, err
}

func (r *Router) TopTenants(ctx context.Context, queue string, limit int) ([]sluice.TenantStats, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.TopTenants(ctx, queue, limit)
	}
	return t.remote.QueueTenants(ctx, queue, limit)
}

func (r *Router) Tenant(ctx context.Context, queue, tenant string) (sluice.TenantStats, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TenantStats{}, err
	}
	if t.eng != nil {
		return t.eng.Tenant(ctx, queue, tenant)
	}
	_, s, err := t.remote.QueueTenant(ctx, queue, tenant)
	return s, err
}

// TaskAges counts a tracked queue's tasks by age on its owner. A remote
// owner counts with the buckets its Task Monitor was configured with, which
// every node of a cluster should share (bounds are not forwarded).
func (r *Router) TaskAges(ctx context.Context, queue string, bounds []time.Duration, perTenant bool) (sluice.TaskAges, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.TaskAges{}, err
	}
	if t.eng != nil {
		return t.eng.TaskAges(ctx, queue, bounds, perTenant)
	}
	all, err := t.remote.TaskAges(ctx, queue, perTenant)
	if err != nil {
		return sluice.TaskAges{}, err
	}
	for _, a := range all {
		if a.Queue == queue {
			return a, nil
		}
	}
	return sluice.TaskAges{}, fmt.Errorf("%w: %q", sluice.ErrQueueNotFound, queue)
}

func (r *Router) OldestTasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.OldestTasks(ctx, queue, q)
	}
	return t.remote.OldestTasks(ctx, queue, q)
}

// DeleteQueueInUse deletes a queue even while it is another queue's
// dead-letter queue, as SQS's DeleteQueue does, when this node serves it.
// The native API has no such delete, so one forwarded to another node keeps
// the native rule and is refused with sluice.ErrQueueInUse.
func (r *Router) DeleteQueueInUse(ctx context.Context, name string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.DeleteQueueInUse(ctx, name)
	}
	return t.remote.DeleteQueue(ctx, name)
}
