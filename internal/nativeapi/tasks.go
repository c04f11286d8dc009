package nativeapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// TaskPath returns the status URL path of a task of a tracked queue, as
// given in the Location of an accepted send.
func TaskPath(queue, id string) string {
	return "/v1/queues/" + url.PathEscape(queue) + "/tasks/" + url.PathEscape(id)
}

func (h *handler) getTask(w http.ResponseWriter, r *http.Request) error {
	s, err := h.engine.TaskStatus(r.Context(), r.PathValue("name"), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTaskStatus(s))
	return nil
}

func (h *handler) listTasks(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "tenant", "state", "after", "limit"); err != nil {
		return err
	}
	f := sluice.TaskFilter{Tenant: query.Get("tenant"), Limit: defaultListLimit}
	var err error
	if f.States, err = wire.ParseStates("state", query.Get("state")); err != nil {
		return err
	}
	if s := query.Get("after"); s != "" {
		if f.After, err = wire.ParseCursor("after", s); err != nil {
			return err
		}
	}
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
		f.Limit = n
	}
	page, err := h.engine.ListTasks(r.Context(), r.PathValue("name"), f)
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTaskPage(page))
	return nil
}

func (h *handler) completeTask(w http.ResponseWriter, r *http.Request) error {
	var req wire.CompleteRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	receipt, result, err := req.Parts()
	if err != nil {
		return err
	}
	s, err := h.engine.CompleteTask(r.Context(), r.PathValue("name"), receipt, result)
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTaskStatus(s))
	return nil
}

func (h *handler) failTask(w http.ResponseWriter, r *http.Request) error {
	var req wire.FailRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	receipt, f, err := req.Failure()
	if err != nil {
		return err
	}
	s, err := h.engine.FailTask(r.Context(), r.PathValue("name"), receipt, f)
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTaskStatus(s))
	return nil
}
