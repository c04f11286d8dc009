package nativeapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Listing bounds: GET /v1/queues returns 100 queues unless asked for up to
// 1000.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

func (h *handler) createQueue(w http.ResponseWriter, r *http.Request) error {
	var req wire.CreateQueueRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	q, created, err := h.engine.CreateQueue(r.Context(), req.QueueConfig())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/queues/"+url.PathEscape(q.Name))
	}
	h.write(w, r, status, wire.FromQueueConfig(q))
	return nil
}

func (h *handler) listQueues(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "prefix", "after", "limit"); err != nil {
		return err
	}
	limit := defaultListLimit
	if s := query.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return sluice.Invalid("limit", "%q is not an integer", s)
		case n < 1:
			return sluice.Invalid("limit", "must be at least 1")
		case n > maxListLimit:
			return &sluice.LimitError{Field: "limit", Limit: maxListLimit, Got: int64(n)}
		}
		limit = n
	}
	// Ask for one more than the page to learn whether another page follows.
	qs, err := h.engine.ListQueues(r.Context(), query.Get("prefix"), query.Get("after"), limit+1)
	if err != nil {
		return err
	}
	resp := wire.ListQueuesResponse{Queues: make([]wire.Queue, 0, min(len(qs), limit))}
	if len(qs) > limit {
		qs = qs[:limit]
		resp.Next = qs[limit-1].Name
	}
	for _, q := range qs {
		resp.Queues = append(resp.Queues, wire.FromQueueConfig(q))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

// onlyParams returns an invalid-argument error naming the first query
// parameter that is not one of names.
func onlyParams(query url.Values, names ...string) error {
	for p := range query {
		known := false
		for _, n := range names {
			known = known || p == n
		}
		if !known {
			return sluice.Invalid(p, "is not a known query parameter")
		}
	}
	return nil
}

func (h *handler) getQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := h.engine.GetQueue(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromQueueConfig(q))
	return nil
}

func (h *handler) updateQueue(w http.ResponseWriter, r *http.Request) error {
	var req wire.UpdateQueueRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	q, err := h.engine.UpdateQueue(r.Context(), r.PathValue("name"), req.QueueUpdate())
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromQueueConfig(q))
	return nil
}

func (h *handler) deleteQueue(w http.ResponseWriter, r *http.Request) error {
	if err := h.engine.DeleteQueue(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) purgeQueue(w http.ResponseWriter, r *http.Request) error {
	n, err := h.engine.PurgeQueue(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.PurgeResponse{Purged: n})
	return nil
}

func (h *handler) tagQueue(w http.ResponseWriter, r *http.Request) error {
	var tags map[string]string
	if err := h.read(w, r, &tags, false); err != nil {
		return sluice.WithField("tags", err)
	}
	if err := h.engine.TagQueue(r.Context(), r.PathValue("name"), tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) untagQueue(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "key"); err != nil {
		return err
	}
	keys := query["key"]
	if len(keys) == 0 {
		return sluice.Invalid("key", "give at least one tag key to remove, as ?key=a&key=b")
	}
	if err := h.engine.UntagQueue(r.Context(), r.PathValue("name"), keys); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) stats(w http.ResponseWriter, r *http.Request) error {
	s, err := h.engine.Stats(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromQueueStats(s))
	return nil
}

func (h *handler) redrive(w http.ResponseWriter, r *http.Request) error {
	var req wire.RedriveRequest
	if err := h.read(w, r, &req, true); err != nil {
		return err
	}
	opts, err := req.RedriveOptions()
	if err != nil {
		return err
	}
	n, err := h.engine.Redrive(r.Context(), r.PathValue("name"), opts)
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.RedriveResponse{Moved: n})
	return nil
}
