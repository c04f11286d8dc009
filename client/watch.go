package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// PutWatch creates or replaces a Task Monitor watch of external tasks and
// returns it with its defaults filled in.
func (c *Client) PutWatch(ctx context.Context, w sluice.Watch) (sluice.Watch, error) {
	if w.Name == "" {
		return w, sluice.Invalid("name", "must not be empty")
	}
	var doc wire.Watch
	if _, err := c.do(ctx, http.MethodPut, "/v1/monitor/watches/"+url.PathEscape(w.Name), nil, wire.FromWatch(w), &doc); err != nil {
		return sluice.Watch{}, err
	}
	return doc.Watch(), nil
}

// Watch returns a watch, or an error matching sluice.ErrWatchNotFound.
func (c *Client) Watch(ctx context.Context, name string) (sluice.Watch, error) {
	if name == "" {
		return sluice.Watch{}, sluice.Invalid("name", "must not be empty")
	}
	var doc wire.Watch
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/watches/"+url.PathEscape(name), nil, nil, &doc); err != nil {
		return sluice.Watch{}, err
	}
	return doc.Watch(), nil
}

// Watches returns the watches in name order.
func (c *Client) Watches(ctx context.Context) ([]sluice.Watch, error) {
	var resp wire.WatchesResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/watches", nil, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.Watch, len(resp.Watches))
	for i, w := range resp.Watches {
		out[i] = w.Watch()
	}
	return out, nil
}

// DeleteWatch deletes a watch with its external tasks.
func (c *Client) DeleteWatch(ctx context.Context, name string) error {
	if name == "" {
		return sluice.Invalid("name", "must not be empty")
	}
	_, err := c.do(ctx, http.MethodDelete, "/v1/monitor/watches/"+url.PathEscape(name), nil, nil, nil)
	return err
}

// WatchTask returns the status of a watch's external task, or an error
// matching sluice.ErrTaskNotFound.
func (c *Client) WatchTask(ctx context.Context, watch, id string) (sluice.TaskStatus, error) {
	if watch == "" || id == "" {
		return sluice.TaskStatus{}, sluice.Invalid("id", "watch and id must not be empty")
	}
	var doc wire.Task
	if _, err := c.do(ctx, http.MethodGet, "/v1/monitor/watches/"+url.PathEscape(watch)+"/tasks/"+url.PathEscape(id), nil, nil, &doc); err != nil {
		return sluice.TaskStatus{}, err
	}
	return doc.TaskStatus()
}
