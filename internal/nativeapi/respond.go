package nativeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sluicehq/sluice"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/wire"
)

// read decodes r's JSON body into v with wire.Decode. With optional set, an
// empty body leaves v as it is. It returns an error wrapping
// wire.ErrUnsupportedMediaType for a Content-Type that is not JSON and
// wire.ErrRequestTooLarge for a body over the cap.
func (h *handler) read(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return fmt.Errorf("%w, not %q", wire.ErrUnsupportedMediaType, ct)
	}
	if r.ContentLength > h.maxBody {
		return fmt.Errorf("%w: %d bytes, over the limit of %d", wire.ErrRequestTooLarge, r.ContentLength, h.maxBody)
	}
	bp := h.buffer()
	defer h.putBuffer(bp)
	if n := r.ContentLength; n > 0 {
		*bp = slices.Grow(*bp, int(n)+1) // +1: room to see the end
	}
	data, err := readAll(*bp, http.MaxBytesReader(w, r.Body, h.maxBody))
	*bp = data
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Errorf("%w: over the limit of %d bytes", wire.ErrRequestTooLarge, mbe.Limit)
	}
	if err != nil {
		return fmt.Errorf("%w: reading the body: %v", wire.ErrMalformedJSON, err)
	}
	if optional && len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return wire.Decode(data, v)
}

// isJSON reports whether a Content-Type names JSON in UTF-8:
// application/json or application/*+json, with no charset or utf-8.
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// write sends v as the JSON body of a response with status.
func (h *handler) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.fail(w, r, fmt.Errorf("encoding the response: %w", err))
		return
	}
	writeBody(w, status, b)
}

// maxPooledBuffer is the largest response buffer kept for reuse; larger
// ones, from rare huge receives, are left to the garbage collector.
const maxPooledBuffer = 1 << 20

// writeAppended sends the JSON document appendJSON appends to a buffer as
// the body of a response with status, like write but without reflection.
func (h *handler) writeAppended(w http.ResponseWriter, r *http.Request, status int, appendJSON func([]byte) ([]byte, error)) {
	bp := h.buffer()
	defer h.putBuffer(bp)
	b, err := appendJSON(*bp)
	*bp = b
	if err != nil {
		h.fail(w, r, fmt.Errorf("encoding the response: %w", err))
		return
	}
	b = append(b, '\n')
	*bp = b
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b) // an error means the client went away; nothing to do
}

// buffer returns an empty buffer from h.buffers, to be given back with
// putBuffer once nothing refers to its contents.
func (h *handler) buffer() *[]byte {
	if bp, ok := h.buffers.Get().(*[]byte); ok {
		return bp
	}
	return new([]byte)
}

// putBuffer empties *bp and keeps it for reuse unless it grew too large.
func (h *handler) putBuffer(bp *[]byte) {
	if cap(*bp) <= maxPooledBuffer {
		*bp = (*bp)[:0]
		h.buffers.Put(bp)
	}
}

// readAll is io.ReadAll appending to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// writeBody sends the JSON document b, with a trailing newline.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n')) // an error means the client went away; nothing to do
}

// fail reports err to the client through wire's error table. Internal
// errors are logged with their detail, which the client does not get.
// Nothing is written once the request's context is done: the client has
// gone away.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	id := w.Header().Get("X-Request-Id")
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), sluice.ErrClosed) {
			// Shutdown cancelled the request: the client is still there
			// and gets a clear answer.
			err = sluice.ErrClosed
		} else {
			h.log.DebugContext(ctx, "native API client went away", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
			return
		}
	}
	status, body := wire.ErrorBodyOf(err)
	switch body.Code {
	case wire.CodeInternal:
		h.log.ErrorContext(ctx, "native API internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
	case wire.CodeUnavailable:
		h.log.WarnContext(ctx, "native API request refused: engine unavailable", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
	}
	b, _ := json.Marshal(wire.ErrorResponse{Error: body}) // strings and integers: cannot fail
	writeBody(w, status, b)
}

// entryResults pairs a batch's receipts with the engine's per-entry errors
// and counts the outcomes. Per-entry internal errors are logged like
// whole-request ones.
func (h *handler) entryResults(w http.ResponseWriter, r *http.Request, receipts []string, errs []error) (results []wire.EntryResult, ok, failed int, err error) {
	if len(errs) != len(receipts) {
		return nil, 0, 0, fmt.Errorf("engine returned %d results for %d receipts", len(errs), len(receipts))
	}
	results = make([]wire.EntryResult, len(receipts))
	for i, rc := range receipts {
		results[i].Receipt = rc
		if errs[i] == nil {
			ok++
			continue
		}
		failed++
		_, body := wire.ErrorBodyOf(errs[i])
		if body.Code == wire.CodeInternal {
			h.log.ErrorContext(r.Context(), "native API internal error in batch entry", "request_id", w.Header().Get("X-Request-Id"),
				"method", r.Method, "path", r.URL.Path, "entry", i, "error", errs[i])
		}
		results[i].Error = &body
	}
	return results, ok, failed, nil
}
