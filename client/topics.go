package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// topicPath returns the path of a topic's resource, with suffix appended.
func topicPath(name, suffix string) (string, error) {
	if name == "" {
		return "", &sluice.InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	return "/v1/topics/" + url.PathEscape(name) + suffix, nil
}

// subscriptionPath returns the path of the subscription with id
// ("<topic>/<sub>"), or an error that is sluice.ErrSubscriptionNotFound
// when id cannot name one.
func subscriptionPath(id string) (string, error) {
	topic, sub, ok := strings.Cut(id, "/")
	if !ok || topic == "" || sub == "" || strings.Contains(sub, "/") {
		return "", fmt.Errorf("%w: %q is not a subscription id (<topic>/<id>)", sluice.ErrSubscriptionNotFound, id)
	}
	return "/v1/topics/" + url.PathEscape(topic) + "/subscriptions/" + url.PathEscape(sub), nil
}

// listQuery returns the query of a listing for opts.
func listQuery(opts ListOptions) url.Values {
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
	return query
}

// CreateTopic creates a topic configured as cfg (a name ending in ".fifo"
// makes a FIFO topic) and returns its full configuration. Creating a topic
// that exists with the same attributes succeeds and returns it; with other
// attributes it fails with sluice.ErrTopicExists.
func (c *Client) CreateTopic(ctx context.Context, cfg sluice.TopicConfig) (sluice.TopicConfig, error) {
	var t wire.Topic
	if _, err := c.do(ctx, http.MethodPost, "/v1/topics", nil, wire.FromCreateTopic(cfg), &t); err != nil {
		return sluice.TopicConfig{}, err
	}
	return t.TopicConfig(), nil
}

// GetTopic returns the configuration of the named topic, or an error that
// is sluice.ErrTopicNotFound.
func (c *Client) GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error) {
	path, err := topicPath(name, "")
	if err != nil {
		return sluice.TopicConfig{}, err
	}
	var t wire.Topic
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &t); err != nil {
		return sluice.TopicConfig{}, err
	}
	return t.TopicConfig(), nil
}

// TopicPage is one page of a topic listing, in name order.
type TopicPage struct {
	Topics []sluice.TopicConfig
	// Next is the After of the following page, empty on the last page.
	Next string
}

// ListTopics returns one page of topics, selected by opts as ListQueues
// selects queues. To list them all, call it again with After set to the
// page's Next until Next is empty.
func (c *Client) ListTopics(ctx context.Context, opts ListOptions) (TopicPage, error) {
	var resp wire.ListTopicsResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/topics", listQuery(opts), nil, &resp); err != nil {
		return TopicPage{}, err
	}
	page := TopicPage{Topics: make([]sluice.TopicConfig, len(resp.Topics)), Next: resp.Next}
	for i, t := range resp.Topics {
		page.Topics[i] = t.TopicConfig()
	}
	return page, nil
}

// UpdateTopic changes the attributes u sets and returns the topic's new
// configuration; an unknown topic yields sluice.ErrTopicNotFound.
func (c *Client) UpdateTopic(ctx context.Context, name string, u sluice.TopicUpdate) (sluice.TopicConfig, error) {
	path, err := topicPath(name, "")
	if err != nil {
		return sluice.TopicConfig{}, err
	}
	var t wire.Topic
	if _, err := c.do(ctx, http.MethodPatch, path, nil, wire.FromTopicUpdate(u), &t); err != nil {
		return sluice.TopicConfig{}, err
	}
	return t.TopicConfig(), nil
}

// DeleteTopic deletes the named topic and its subscriptions. Copies already
// delivered to queues stay there.
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	path, err := topicPath(name, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil)
	return err
}

// TagTopic adds tags to the named topic, replacing the values of keys it
// already has.
func (c *Client) TagTopic(ctx context.Context, name string, tags map[string]string) error {
	path, err := topicPath(name, "/tags")
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	_, err = c.do(ctx, http.MethodPut, path, nil, tags, nil)
	return err
}

// UntagTopic removes the tags with the given keys from the named topic.
// Keys it does not have are ignored.
func (c *Client) UntagTopic(ctx context.Context, name string, keys []string) error {
	path, err := topicPath(name, "/tags")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, url.Values{"key": keys}, nil, nil)
	return err
}

// Publish publishes one message to topic, copying it to every confirmed
// subscription whose filter policy it matches, and returns once every copy
// is durable; the result counts the copies. Topic messages are text: a body
// that is not valid UTF-8 yields a *sluice.InvalidArgumentError for "body"
// without a request. On a FIFO topic GroupID is required and a duplicate
// within the deduplication window is not an error: the result has
// Duplicate set and the first message's ID.
func (c *Client) Publish(ctx context.Context, topic string, in sluice.PublishInput) (sluice.PublishResult, error) {
	path, err := topicPath(topic, "/publish")
	if err != nil {
		return sluice.PublishResult{}, err
	}
	if !utf8.Valid(in.Body) {
		return sluice.PublishResult{}, sluice.Invalid("body", "must be valid UTF-8: topic messages are text")
	}
	m := wire.FromPublishInput(in)
	var res wire.PublishResult
	if _, err := c.do(ctx, http.MethodPost, path, nil, wire.PublishRequest{Message: &m}, &res); err != nil {
		return sluice.PublishResult{}, err
	}
	return res.PublishResult(), nil
}

// PublishBatch publishes messages to topic in one request and returns their
// results in order. The batch is all or nothing: if any message is invalid
// none is published, and the error's Field names the entry
// ("messages[3].group_id").
func (c *Client) PublishBatch(ctx context.Context, topic string, ins []sluice.PublishInput) ([]sluice.PublishResult, error) {
	path, err := topicPath(topic, "/publish")
	if err != nil {
		return nil, err
	}
	req := wire.PublishRequest{Messages: make([]wire.PublishMessage, len(ins))}
	for i, in := range ins {
		if !utf8.Valid(in.Body) {
			return nil, sluice.Invalid(fmt.Sprintf("messages[%d].body", i), "must be valid UTF-8: topic messages are text")
		}
		req.Messages[i] = wire.FromPublishInput(in)
	}
	var resp wire.PublishBatchResponse
	id, err := c.do(ctx, http.MethodPost, path, nil, req, &resp)
	if err != nil {
		return nil, err
	}
	if len(resp.Messages) != len(ins) {
		return nil, fmt.Errorf("sluice: the server returned %d results for %d messages (request %s)", len(resp.Messages), len(ins), id)
	}
	out := make([]sluice.PublishResult, len(ins))
	for i, r := range resp.Messages {
		out[i] = r.PublishResult()
	}
	return out, nil
}

// Subscribe subscribes s.Endpoint to s.Topic and returns the subscription
// with its ID and defaults filled in. Queue subscriptions are confirmed at
// once; HTTP ones wait until the endpoint confirms with the token it is
// sent (see ConfirmSubscription), unless s.Confirmed pre-confirms them.
// Subscribing the same protocol and endpoint again returns the existing
// subscription unchanged. An invalid filter policy yields a
// *sluice.InvalidArgumentError for "filter_policy".
func (c *Client) Subscribe(ctx context.Context, s sluice.Subscription) (sluice.Subscription, error) {
	if s.Topic == "" {
		return sluice.Subscription{}, sluice.Invalid("topic", "must not be empty")
	}
	path, err := topicPath(s.Topic, "/subscriptions")
	if err != nil {
		return sluice.Subscription{}, err
	}
	var out wire.Subscription
	if _, err := c.do(ctx, http.MethodPost, path, nil, wire.FromSubscribe(s), &out); err != nil {
		return sluice.Subscription{}, err
	}
	return out.Subscription(), nil
}

// GetSubscription returns the subscription with id, or an error that is
// sluice.ErrSubscriptionNotFound.
func (c *Client) GetSubscription(ctx context.Context, id string) (sluice.Subscription, error) {
	path, err := subscriptionPath(id)
	if err != nil {
		return sluice.Subscription{}, err
	}
	var out wire.Subscription
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
		return sluice.Subscription{}, err
	}
	return out.Subscription(), nil
}

// SubscriptionPage is one page of a subscription listing: by topic name,
// then in creation order.
type SubscriptionPage struct {
	Subscriptions []sluice.Subscription
	// Next is the After of the following page (a subscription id), empty on
	// the last page.
	Next string
}

// ListSubscriptions returns one page of the subscriptions of topic, or of
// every topic when topic is empty. opts.After is a subscription id, the
// previous page's Next; opts.Prefix is not supported and must be empty. It
// fails with sluice.ErrTopicNotFound for an unknown topic.
func (c *Client) ListSubscriptions(ctx context.Context, topic string, opts ListOptions) (SubscriptionPage, error) {
	if opts.Prefix != "" {
		return SubscriptionPage{}, sluice.Invalid("prefix", "subscriptions cannot be listed by prefix")
	}
	path := "/v1/subscriptions"
	if topic != "" {
		var err error
		if path, err = topicPath(topic, "/subscriptions"); err != nil {
			return SubscriptionPage{}, err
		}
	}
	var resp wire.ListSubscriptionsResponse
	if _, err := c.do(ctx, http.MethodGet, path, listQuery(opts), nil, &resp); err != nil {
		return SubscriptionPage{}, err
	}
	page := SubscriptionPage{Subscriptions: make([]sluice.Subscription, len(resp.Subscriptions)), Next: resp.Next}
	for i, s := range resp.Subscriptions {
		page.Subscriptions[i] = s.Subscription()
	}
	return page, nil
}

// UpdateSubscription changes the filter policy, filter scope or raw
// delivery of the subscription with id and returns it as changed. An empty
// FilterPolicy removes the policy. Delivery policies and dead-letter queues
// are fixed when subscribing: setting them yields a
// *sluice.InvalidArgumentError without a request.
func (c *Client) UpdateSubscription(ctx context.Context, id string, u sluice.SubscriptionUpdate) (sluice.Subscription, error) {
	path, err := subscriptionPath(id)
	if err != nil {
		return sluice.Subscription{}, err
	}
	req, err := wire.FromSubscriptionUpdate(u)
	if err != nil {
		return sluice.Subscription{}, err
	}
	var out wire.Subscription
	if _, err := c.do(ctx, http.MethodPatch, path, nil, req, &out); err != nil {
		return sluice.Subscription{}, err
	}
	return out.Subscription(), nil
}

// Unsubscribe deletes the subscription with id. Copies already delivered
// stay where they are; an HTTP subscription's pending deliveries are still
// pushed.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	path, err := subscriptionPath(id)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil)
	return err
}

// ConfirmSubscription confirms a pending HTTP subscription of topic with
// the token its endpoint was sent, and returns the subscription. A token
// that matches no subscription of the topic yields an error that is
// sluice.ErrTokenInvalid. Confirming twice is harmless.
func (c *Client) ConfirmSubscription(ctx context.Context, topic, token string) (sluice.Subscription, error) {
	path, err := topicPath(topic, "/confirm")
	if err != nil {
		return sluice.Subscription{}, err
	}
	var out wire.Subscription
	if _, err := c.do(ctx, http.MethodPost, path, nil, wire.ConfirmRequest{Token: token}, &out); err != nil {
		return sluice.Subscription{}, err
	}
	return out.Subscription(), nil
}
