package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// CreateQueue creates a queue configured as cfg (zero fields take the
// server's defaults) and returns its full configuration. Creating a queue
// that exists with the same attributes succeeds and returns it; with other
// attributes it fails with sluice.ErrQueueExists. Invalid attributes yield a
// *sluice.InvalidArgumentError naming the field.
func (c *Client) CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (sluice.QueueConfig, error) {
	var q wire.Queue
	if _, err := c.do(ctx, http.MethodPost, "/v1/queues", nil, wire.FromCreateQueue(cfg), &q); err != nil {
		return sluice.QueueConfig{}, err
	}
	return q.QueueConfig(), nil
}

// GetQueue returns the configuration of the named queue, or an error that
// is sluice.ErrQueueNotFound.
func (c *Client) GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error) {
	path, err := queuePath(name, "")
	if err != nil {
		return sluice.QueueConfig{}, err
	}
	var q wire.Queue
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &q); err != nil {
		return sluice.QueueConfig{}, err
	}
	return q.QueueConfig(), nil
}

// ListOptions selects a page of queues. A zero field means the default.
type ListOptions struct {
	Prefix string // only queues whose names start with Prefix
	After  string // only queues whose names sort after After: the previous page's Next
	Limit  int    // at most this many (server default 100, at most 1000)
}

// QueuePage is one page of a queue listing, in name order.
type QueuePage struct {
	Queues []sluice.QueueConfig
	// Next is the After of the following page, empty on the last page.
	Next string
}

// ListQueues returns one page of queues. To list them all, call it again
// with After set to the page's Next until Next is empty.
func (c *Client) ListQueues(ctx context.Context, opts ListOptions) (QueuePage, error) {
	query := url.Values{}
	if opts.Prefix != "" {
		query.Set("prefix", opts.Prefix)
	}
	if opts.After != "" {
		query.Set("after", opts.After)
	}
	if opts.Limit != 0 {
		query.Set("limit", strconv.Itoa(opts.Limit))
	}
	var resp wire.ListQueuesResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/queues", query, nil, &resp); err != nil {
		return QueuePage{}, err
	}
	page := QueuePage{Queues: make([]sluice.QueueConfig, len(resp.Queues)), Next: resp.Next}
	for i, q := range resp.Queues {
		page.Queues[i] = q.QueueConfig()
	}
	return page, nil
}

// UpdateQueue changes the attributes u sets and returns the queue's new
// configuration. A DeadLetter policy with an empty Queue removes the
// queue's policy.
func (c *Client) UpdateQueue(ctx context.Context, name string, u sluice.QueueUpdate) (sluice.QueueConfig, error) {
	path, err := queuePath(name, "")
	if err != nil {
		return sluice.QueueConfig{}, err
	}
	var q wire.Queue
	if _, err := c.do(ctx, http.MethodPatch, path, nil, wire.FromQueueUpdate(u), &q); err != nil {
		return sluice.QueueConfig{}, err
	}
	return q.QueueConfig(), nil
}

// DeleteQueue deletes the named queue and its messages. It fails with
// sluice.ErrQueueInUse while another queue uses it as its dead-letter queue.
func (c *Client) DeleteQueue(ctx context.Context, name string) error {
	path, err := queuePath(name, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil)
	return err
}

// PurgeQueue deletes every message in the named queue and returns how many
// there were.
func (c *Client) PurgeQueue(ctx context.Context, name string) (int, error) {
	path, err := queuePath(name, "/purge")
	if err != nil {
		return 0, err
	}
	var resp wire.PurgeResponse
	if _, err := c.do(ctx, http.MethodPost, path, nil, nil, &resp); err != nil {
		return 0, err
	}
	return resp.Purged, nil
}

// TagQueue adds tags to the named queue, replacing the values of keys it
// already has.
func (c *Client) TagQueue(ctx context.Context, name string, tags map[string]string) error {
	path, err := queuePath(name, "/tags")
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	_, err = c.do(ctx, http.MethodPut, path, nil, tags, nil)
	return err
}

// UntagQueue removes the tags with the given keys from the named queue.
// Keys it does not have are ignored.
func (c *Client) UntagQueue(ctx context.Context, name string, keys []string) error {
	path, err := queuePath(name, "/tags")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, url.Values{"key": keys}, nil, nil)
	return err
}

// Stats returns a point-in-time view of the named queue.
func (c *Client) Stats(ctx context.Context, name string) (sluice.QueueStats, error) {
	path, err := queuePath(name, "/stats")
	if err != nil {
		return sluice.QueueStats{}, err
	}
	var s wire.Stats
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &s); err != nil {
		return sluice.QueueStats{}, err
	}
	return s.QueueStats(), nil
}

// Redrive moves messages out of a dead-letter queue, to opts.Destination or
// else to each message's source queue, and returns how many it moved. It
// fails with sluice.ErrNotDeadLetterQueue when the queue holds no
// dead-lettered messages and no destination is given.
func (c *Client) Redrive(ctx context.Context, queue string, opts sluice.RedriveOptions) (int, error) {
	path, err := queuePath(queue, "/redrive")
	if err != nil {
		return 0, err
	}
	var resp wire.RedriveResponse
	if _, err := c.do(ctx, http.MethodPost, path, nil, wire.FromRedriveOptions(opts), &resp); err != nil {
		return 0, err
	}
	return resp.Moved, nil
}
