package nativeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func (h *handler) send(w http.ResponseWriter, r *http.Request) error {
	var req wire.SendRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	ins, err := req.SendInputs()
	if err != nil {
		return err
	}
	results, err := h.engine.Send(r.Context(), r.PathValue("name"), ins)
	if err != nil {
		if !req.Batch() {
			// The engine names entries of the batch it was given; a single
			// send has none.
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
	status := http.StatusCreated
	if results[0].Tracked {
		// A task intake: accepted, its status to be polled.
		status = http.StatusAccepted
		if !req.Batch() {
			w.Header().Set("Location", TaskPath(r.PathValue("name"), results[0].ID))
		}
	}
	h.writeAppended(w, r, status, func(b []byte) ([]byte, error) {
		return wire.AppendSendResponse(b, results, req.Batch()), nil
	})
	return nil
}

// receive long-polls with the request's context, so a client that goes away
// ends the wait.
func (h *handler) receive(w http.ResponseWriter, r *http.Request) error {
	var req wire.ReceiveRequest
	if err := h.read(w, r, &req, true); err != nil {
		return err
	}
	opts, err := req.ReceiveOptions()
	if err != nil {
		return err
	}
	msgs, err := h.engine.Receive(r.Context(), r.PathValue("name"), opts)
	if err != nil && errors.Is(context.Cause(r.Context()), sluice.ErrClosed) {
		// The server is shutting down: the long poll ends as if it had
		// timed out.
		msgs, err = nil, nil
	}
	if err != nil {
		return err
	}
	if len(msgs) > 0 && r.Context().Err() != nil && !errors.Is(context.Cause(r.Context()), sluice.ErrClosed) {
		// The client went away while its long poll was being answered:
		// nobody will see these leases, so end them now rather than make
		// the messages wait out their visibility timeout.
		h.releaseUnseen(r, msgs)
		return nil
	}
	h.writeAppended(w, r, http.StatusOK, func(b []byte) ([]byte, error) {
		return wire.AppendReceiveResponse(b, msgs)
	})
	return nil
}

// releaseUnseen makes received messages that no client saw visible again.
// Their receive still counts toward a dead-letter or task attempt limit, as
// it would had the lease expired.
func (h *handler) releaseUnseen(r *http.Request, msgs []sluice.Message) {
	changes := make([]sluice.VisibilityChange, len(msgs))
	for i, m := range msgs {
		changes[i] = sluice.VisibilityChange{Receipt: m.Receipt}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if _, err := h.engine.ChangeVisibility(ctx, r.PathValue("name"), changes); err != nil && h.log != nil {
		h.log.Warn("cannot release messages received for a client that went away; they reappear after their lease", "queue", r.PathValue("name"), "err", err)
	}
}

func (h *handler) ack(w http.ResponseWriter, r *http.Request) error {
	var req wire.AckRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return err
	}
	errs, err := h.engine.Ack(r.Context(), r.PathValue("name"), req.Receipts)
	if err != nil {
		return err
	}
	results, acked, failed, err := h.entryResults(w, r, req.Receipts, errs)
	if err != nil {
		return err
	}
	h.writeAppended(w, r, http.StatusOK, func(b []byte) ([]byte, error) {
		return wire.AckResponse{Results: results, Acked: acked, Failed: failed}.AppendJSON(b), nil
	})
	return nil
}

func (h *handler) changeVisibility(w http.ResponseWriter, r *http.Request) error {
	var req wire.VisibilityRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	changes, err := req.VisibilityChanges()
	if err != nil {
		return err
	}
	return h.applyVisibility(w, r, changes)
}

func (h *handler) nack(w http.ResponseWriter, r *http.Request) error {
	var req wire.NackRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	changes, err := req.VisibilityChanges()
	if err != nil {
		return err
	}
	err = h.applyVisibility(w, r, changes)
	// The engine names visibility changes; a nack has receipts and a delay.
	return renameField(err, func(f string) string {
		switch {
		case strings.HasPrefix(f, "changes[") && strings.HasSuffix(f, "].timeout"):
			return "delay"
		case f == "changes":
			return "receipts"
		}
		return f
	})
}

// renameField returns err with the field of an invalid-argument or limit
// error passed through rename; other errors are returned unchanged.
func renameField(err error, rename func(string) string) error {
	var (
		ia *sluice.InvalidArgumentError
		le *sluice.LimitError
	)
	switch {
	case errors.As(err, &ia):
		return &sluice.InvalidArgumentError{Field: rename(ia.Field), Reason: ia.Reason}
	case errors.As(err, &le):
		return &sluice.LimitError{Field: rename(le.Field), Limit: le.Limit, Got: le.Got}
	}
	return err
}

func (h *handler) applyVisibility(w http.ResponseWriter, r *http.Request, changes []sluice.VisibilityChange) error {
	errs, err := h.engine.ChangeVisibility(r.Context(), r.PathValue("name"), changes)
	if err != nil {
		return err
	}
	receipts := make([]string, len(changes))
	for i, c := range changes {
		receipts[i] = c.Receipt
	}
	results, changed, failed, err := h.entryResults(w, r, receipts, errs)
	if err != nil {
		return err
	}
	h.writeAppended(w, r, http.StatusOK, func(b []byte) ([]byte, error) {
		return wire.VisibilityResponse{Results: results, Changed: changed, Failed: failed}.AppendJSON(b), nil
	})
	return nil
}
