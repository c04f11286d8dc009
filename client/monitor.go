package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// TaskAges returns the Task Monitor's age buckets of every tracked queue,
// or of queue alone when it is not empty, per tenant too when perTenant is
// set.
func (c *Client) TaskAges(ctx context.Context, queue string, perTenant bool) ([]sluice.TaskAges, error) {
	query := url.Values{}
	if queue != "" {
		query.Set("queue", queue)
	}
	if perTenant {
		query.Set("tenants", "true")
	}
	var resp wire.BucketsResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/buckets", query, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.TaskAges, len(resp.Queues))
	for i, a := range resp.Queues {
		out[i] = a.TaskAges()
	}
	return out, nil
}

// OldestTasks lists a tracked queue's active tasks of q.Kind (default
// running) in q's age range, oldest first.
func (c *Client) OldestTasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	query := url.Values{"queue": {queue}}
	if q.Kind != "" {
		query.Set("kind", string(q.Kind))
	}
	if q.Over > 0 {
		query.Set("over", q.Over.String())
	}
	if q.Under > 0 {
		query.Set("under", q.Under.String())
	}
	if q.Tenant != "" {
		query.Set("tenant", q.Tenant)
	}
	if q.Limit > 0 {
		query.Set("limit", strconv.Itoa(q.Limit))
	}
	var resp wire.MonitorTasksResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/tasks", query, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.TaskStatus, len(resp.Tasks))
	for i, t := range resp.Tasks {
		s, err := t.TaskStatus()
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// PutRule creates or replaces a Task Monitor alert rule.
func (c *Client) PutRule(ctx context.Context, r sluice.AlertRule) (sluice.AlertRule, error) {
	if r.Name == "" {
		return r, sluice.Invalid("name", "must not be empty")
	}
	var doc wire.AlertRule
	if _, err := c.do(ctx, http.MethodPut, "/v1/monitor/rules/"+url.PathEscape(r.Name), nil, wire.FromAlertRule(r), &doc); err != nil {
		return sluice.AlertRule{}, err
	}
	return doc.AlertRule(), nil
}

// Rule returns an alert rule, or an error matching sluice.ErrRuleNotFound.
func (c *Client) Rule(ctx context.Context, name string) (sluice.AlertRule, error) {
	if name == "" {
		return sluice.AlertRule{}, sluice.Invalid("name", "must not be empty")
	}
	var doc wire.AlertRule
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/rules/"+url.PathEscape(name), nil, nil, &doc); err != nil {
		return sluice.AlertRule{}, err
	}
	return doc.AlertRule(), nil
}

// Rules returns the alert rules in name order.
func (c *Client) Rules(ctx context.Context) ([]sluice.AlertRule, error) {
	var resp wire.RulesResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/rules", nil, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.AlertRule, len(resp.Rules))
	for i, r := range resp.Rules {
		out[i] = r.AlertRule()
	}
	return out, nil
}

// DeleteRule deletes an alert rule.
func (c *Client) DeleteRule(ctx context.Context, name string) error {
	if name == "" {
		return sluice.Invalid("name", "must not be empty")
	}
	_, err := c.do(ctx, http.MethodDelete, "/v1/monitor/rules/"+url.PathEscape(name), nil, nil, nil)
	return err
}

// Alerts returns the active alerts, pending and firing, oldest first.
func (c *Client) Alerts(ctx context.Context) ([]sluice.Alert, error) {
	var resp wire.AlertsResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/alerts", nil, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.Alert, len(resp.Alerts))
	for i, a := range resp.Alerts {
		out[i] = a.Alert()
	}
	return out, nil
}
