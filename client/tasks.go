package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Task returns the status of a task of a tracked queue. It fails with
// sluice.ErrTaskNotFound for an unknown id (or one whose finished status
// was dropped after the queue's task retention) and sluice.ErrNotTracked
// for a queue that is not tracked.
func (c *Client) Task(ctx context.Context, queue, id string) (sluice.TaskStatus, error) {
	if id == "" {
		return sluice.TaskStatus{}, sluice.Invalid("id", "must not be empty")
	}
	path, err := queuePath(queue, "/tasks/"+url.PathEscape(id))
	if err != nil {
		return sluice.TaskStatus{}, err
	}
	var t wire.Task
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &t); err != nil {
		return sluice.TaskStatus{}, err
	}
	return t.TaskStatus()
}

// ListTasks returns a page of a tracked queue's tasks matching f, in order
// of creation; pass the page's Next as f.After for the following one.
func (c *Client) ListTasks(ctx context.Context, queue string, f sluice.TaskFilter) (sluice.TaskPage, error) {
	path, err := queuePath(queue, "/tasks")
	if err != nil {
		return sluice.TaskPage{}, err
	}
	query := url.Values{}
	if f.Tenant != "" {
		query.Set("tenant", f.Tenant)
	}
	if len(f.States) > 0 {
		s := make([]string, len(f.States))
		for i, st := range f.States {
			s[i] = string(st)
		}
		query.Set("state", strings.Join(s, ","))
	}
	if f.After != 0 {
		query.Set("after", strconv.FormatUint(f.After, 10))
	}
	if f.Limit != 0 {
		query.Set("limit", strconv.Itoa(f.Limit))
	}
	var resp wire.ListTasksResponse
	if _, err := c.do(ctx, http.MethodGet, path, query, nil, &resp); err != nil {
		return sluice.TaskPage{}, err
	}
	return resp.TaskPage()
}

// CompleteTask ends the running task whose delivery carried receipt as
// succeeded, with result (nil for none), and returns its status. A receipt
// of an earlier attempt fails with sluice.ErrReceiptStale.
func (c *Client) CompleteTask(ctx context.Context, queue, receipt string, result []byte) (sluice.TaskStatus, error) {
	path, err := queuePath(queue, "/complete")
	if err != nil {
		return sluice.TaskStatus{}, err
	}
	var t wire.Task
	if _, err := c.do(ctx, http.MethodPost, path, nil, wire.FromComplete(receipt, result), &t); err != nil {
		return sluice.TaskStatus{}, err
	}
	return t.TaskStatus()
}

// FailTask ends the running task's attempt with an error. The server
// retries it after the queue's backoff (or f.RetryAfter), or makes it dead
// when f.Permanent is set or its attempts are used up. It returns the
// task's status.
func (c *Client) FailTask(ctx context.Context, queue, receipt string, f sluice.TaskFailure) (sluice.TaskStatus, error) {
	path, err := queuePath(queue, "/fail")
	if err != nil {
		return sluice.TaskStatus{}, err
	}
	var t wire.Task
	if _, err := c.do(ctx, http.MethodPost, path, nil, wire.FromFailure(receipt, f), &t); err != nil {
		return sluice.TaskStatus{}, err
	}
	return t.TaskStatus()
}

// WaitTask polls a task's status every interval (default 1s) until it is
// finished, and returns that status. It returns ctx's error when ctx ends
// first, and the first error of a poll.
func (c *Client) WaitTask(ctx context.Context, queue, id string, interval time.Duration) (sluice.TaskStatus, error) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return sluice.TaskStatus{}, ctx.Err()
		case <-t.C:
		}
		s, err := c.Task(ctx, queue, id)
		if err != nil || !s.State.Active() {
			return s, err
		}
		t.Reset(interval)
	}
}
