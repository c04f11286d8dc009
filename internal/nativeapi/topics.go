package nativeapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func (h *handler) createTopic(w http.ResponseWriter, r *http.Request) error {
	var req wire.CreateTopicRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	t, created, err := h.engine.CreateTopic(r.Context(), req.TopicConfig())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/topics/"+url.PathEscape(t.Name))
	}
	h.write(w, r, status, wire.FromTopicConfig(t))
	return nil
}

func (h *handler) listTopics(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "prefix", "after", "limit"); err != nil {
		return err
	}
	limit, err := listLimit(query)
	if err != nil {
		return err
	}
	// Ask for one more than the page to learn whether another page follows.
	ts, err := h.engine.ListTopics(r.Context(), query.Get("prefix"), query.Get("after"), limit+1)
	if err != nil {
		return err
	}
	resp := wire.ListTopicsResponse{Topics: make([]wire.Topic, 0, min(len(ts), limit))}
	if len(ts) > limit {
		ts = ts[:limit]
		resp.Next = ts[limit-1].Name
	}
	for _, t := range ts {
		resp.Topics = append(resp.Topics, wire.FromTopicConfig(t))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

// listLimit returns the limit query parameter of a listing, or the default.
func listLimit(query url.Values) (int, error) {
	s := query.Get("limit")
	if s == "" {
		return defaultListLimit, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return 0, sluice.Invalid("limit", "%q is not an integer", s)
	case n < 1:
		return 0, sluice.Invalid("limit", "must be at least 1")
	case n > maxListLimit:
		return 0, &sluice.LimitError{Field: "limit", Limit: maxListLimit, Got: int64(n)}
	}
	return n, nil
}

func (h *handler) getTopic(w http.ResponseWriter, r *http.Request) error {
	t, err := h.engine.GetTopic(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTopicConfig(t))
	return nil
}

func (h *handler) updateTopic(w http.ResponseWriter, r *http.Request) error {
	var req wire.UpdateTopicRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	t, err := h.engine.UpdateTopic(r.Context(), r.PathValue("name"), req.TopicUpdate())
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTopicConfig(t))
	return nil
}

func (h *handler) deleteTopic(w http.ResponseWriter, r *http.Request) error {
	if err := h.engine.DeleteTopic(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) tagTopic(w http.ResponseWriter, r *http.Request) error {
	var tags map[string]string
	if err := h.read(w, r, &tags, false); err != nil {
		return sluice.WithField("tags", err)
	}
	if err := h.engine.TagTopic(r.Context(), r.PathValue("name"), tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) untagTopic(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "key"); err != nil {
		return err
	}
	keys := query["key"]
	if len(keys) == 0 {
		return sluice.Invalid("key", "give at least one tag key to remove, as ?key=a&key=b")
	}
	if err := h.engine.UntagTopic(r.Context(), r.PathValue("name"), keys); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) publish(w http.ResponseWriter, r *http.Request) error {
	var req wire.PublishRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	ins, err := req.PublishInputs()
	if err != nil {
		return err
	}
	results, err := h.engine.Publish(r.Context(), r.PathValue("name"), ins)
	if err != nil {
		if !req.Batch() {
			// The engine names entries of the batch it was given; a single
			// publish has none.
			return renameField(err, func(f string) string {
				f = strings.TrimPrefix(f, "messages[0]")
				return strings.TrimPrefix(f, ".")
			})
		}
		return err
	}
	if len(results) != len(ins) {
		return fmt.Errorf("engine returned %d results for %d messages", len(results), len(ins))
	}
	if !req.Batch() {
		h.write(w, r, http.StatusCreated, wire.FromPublishResult(results[0]))
		return nil
	}
	resp := wire.PublishBatchResponse{Messages: make([]wire.PublishResult, len(results))}
	for i, res := range results {
		resp.Messages[i] = wire.FromPublishResult(res)
	}
	h.write(w, r, http.StatusCreated, resp)
	return nil
}

// subscriptionID returns the id of the subscription a path names: the
// topic and the subscription's part under it.
func subscriptionID(r *http.Request) string {
	return r.PathValue("name") + "/" + r.PathValue("sub")
}

// noSuchSubscription reports an unknown topic in a subscription's path as
// an unknown subscription, as GetSubscription does: the id names none.
func noSuchSubscription(r *http.Request, err error) error {
	if errors.Is(err, sluice.ErrTopicNotFound) {
		return fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, subscriptionID(r))
	}
	return err
}

// subscriptionPath returns the URL path of a subscription's resource.
func subscriptionPath(id string) string {
	topic, sub, _ := strings.Cut(id, "/")
	return "/v1/topics/" + url.PathEscape(topic) + "/subscriptions/" + url.PathEscape(sub)
}

// subscribe answers 201 whether or not the subscription is new: the engine
// returns the existing subscription for the same protocol and endpoint
// without saying which it did.
func (h *handler) subscribe(w http.ResponseWriter, r *http.Request) error {
	var req wire.SubscribeRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	in, err := req.Subscription(r.PathValue("name"))
	if err != nil {
		return err
	}
	s, err := h.engine.Subscribe(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", subscriptionPath(s.ID))
	h.write(w, r, http.StatusCreated, wire.FromSubscription(s))
	return nil
}

func (h *handler) getSubscription(w http.ResponseWriter, r *http.Request) error {
	s, err := h.engine.GetSubscription(r.Context(), subscriptionID(r))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromSubscription(s))
	return nil
}

func (h *handler) updateSubscription(w http.ResponseWriter, r *http.Request) error {
	var req wire.UpdateSubscriptionRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	s, err := h.engine.UpdateSubscription(r.Context(), subscriptionID(r), req.SubscriptionUpdate())
	if err != nil {
		return noSuchSubscription(r, err)
	}
	h.write(w, r, http.StatusOK, wire.FromSubscription(s))
	return nil
}

func (h *handler) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := h.engine.Unsubscribe(r.Context(), subscriptionID(r)); err != nil {
		return noSuchSubscription(r, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listTopicSubscriptions lists one topic's subscriptions.
func (h *handler) listTopicSubscriptions(w http.ResponseWriter, r *http.Request) error {
	return h.listSubscriptions(w, r, r.PathValue("name"))
}

// listAllSubscriptions lists every topic's subscriptions.
func (h *handler) listAllSubscriptions(w http.ResponseWriter, r *http.Request) error {
	return h.listSubscriptions(w, r, "")
}

func (h *handler) listSubscriptions(w http.ResponseWriter, r *http.Request, topic string) error {
	query := r.URL.Query()
	if err := onlyParams(query, "after", "limit"); err != nil {
		return err
	}
	limit, err := listLimit(query)
	if err != nil {
		return err
	}
	subs, err := h.engine.ListSubscriptions(r.Context(), topic, query.Get("after"), limit+1)
	if err != nil {
		return err
	}
	resp := wire.ListSubscriptionsResponse{Subscriptions: make([]wire.Subscription, 0, min(len(subs), limit))}
	if len(subs) > limit {
		subs = subs[:limit]
		resp.Next = subs[limit-1].ID
	}
	for _, s := range subs {
		resp.Subscriptions = append(resp.Subscriptions, wire.FromSubscription(s))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

// confirmByLink confirms a subscription with the token in the query: the
// SubscribeURL of the confirmation message the push worker delivers, which
// an endpoint confirms by fetching.
func (h *handler) confirmByLink(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "token"); err != nil {
		return err
	}
	return h.confirm(w, r, wire.ConfirmRequest{Token: query.Get("token")})
}

// confirmByBody confirms a subscription with the token in the body.
func (h *handler) confirmByBody(w http.ResponseWriter, r *http.Request) error {
	var req wire.ConfirmRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	return h.confirm(w, r, req)
}

func (h *handler) confirm(w http.ResponseWriter, r *http.Request, req wire.ConfirmRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	s, err := h.engine.ConfirmSubscription(r.Context(), r.PathValue("name"), req.Token)
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromSubscription(s))
	return nil
}
