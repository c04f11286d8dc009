// Package client is the Go client for Sluice's native JSON API.
//
// Create one Client per server with New and share it: it is safe for
// concurrent use and keeps a pool of connections sized for many concurrent
// requests, including long-polling receives. Calls take a context and end
// when it does; the client itself sets no timeout, since a receive may wait
// as long as the server allows.
//
// Failed requests return a *Error. It unwraps to the error the server's
// engine reported, so callers branch on the same values as with an embedded
// engine: errors.Is(err, sluice.ErrQueueNotFound), or errors.As with
// *sluice.InvalidArgumentError to learn which field was rejected.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Client calls one Sluice server. Its methods are safe for concurrent use.
type Client struct {
	base      string // scheme://host[:port][/prefix], no trailing slash
	hc        *http.Client
	token     string
	userAgent string
	// buffers holds *bytes.Buffer for reading response bodies; decoding
	// copies what it keeps, so a buffer is reused once decoded.
	buffers sync.Pool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc instead of its
// own. hc should have no Timeout shorter than the longest receive wait.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithToken makes the Client authenticate with token, sent as
// "Authorization: Bearer <token>".
func WithToken(token string) Option {
	return func(c *Client) { c.token = token }
}

// WithUserAgent sets the User-Agent header of the Client's requests.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// defaultUserAgent is sent unless WithUserAgent says otherwise.
const defaultUserAgent = "sluice-go-client"

// New returns a Client for the server at baseURL ("http://127.0.0.1:8080";
// a path prefix is kept). A malformed baseURL is reported by the first call.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), userAgent: defaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = newHTTPClient()
	}
	return c
}

// newHTTPClient returns an http.Client that keeps many idle keep-alive
// connections to one host, so that concurrent senders and pollers reuse
// connections instead of opening new ones.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 1024
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

// queuePath returns the path of a queue's resource, with suffix appended.
func queuePath(name, suffix string) (string, error) {
	if name == "" {
		return "", &sluice.InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	return "/v1/queues/" + url.PathEscape(name) + suffix, nil
}

// encoded is a request body already encoded as JSON, which do sends as it
// is.
type encoded []byte

// do sends a request with in (when non-nil) as its JSON body and decodes a
// successful response's body into out (when non-nil). Error responses
// become *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (requestID string, err error) {
	var body io.Reader
	switch in := in.(type) {
	case nil:
	case encoded:
		body = bytes.NewReader(in)
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return "", fmt.Errorf("sluice: encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", fmt.Errorf("sluice: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer func() {
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	requestID = resp.Header.Get("X-Request-Id")
	if resp.StatusCode >= 300 {
		return requestID, responseError(resp, requestID)
	}
	if out == nil {
		return requestID, nil
	}
	buf, _ := c.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer c.putBuffer(buf)
	if resp.ContentLength > 0 && resp.ContentLength < maxPooledBuffer {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return requestID, fmt.Errorf("sluice: reading the response to %s %s (request %s): %w", method, path, requestID, err)
	}
	if d, ok := out.(bodyDecoder); ok {
		err = d.decodeBody(buf.Bytes())
	} else {
		err = json.Unmarshal(buf.Bytes(), out)
	}
	if err != nil {
		return requestID, fmt.Errorf("sluice: decoding the response to %s %s (request %s): %w", method, path, requestID, err)
	}
	return requestID, nil
}

// bodyDecoder is implemented by response documents that decode a
// successful response's body themselves rather than with json.Unmarshal.
// decodeBody must not keep data, whose buffer is reused, and returns the
// error json.Unmarshal would.
type bodyDecoder interface {
	decodeBody(data []byte) error
}

// maxPooledBuffer is the largest response buffer kept for reuse.
const maxPooledBuffer = 1 << 20

// putBuffer returns buf to the pool unless it grew too large to keep.
func (c *Client) putBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		buf.Reset()
		c.buffers.Put(buf)
	}
}

// responseError builds the *Error for a failed response.
func responseError(resp *http.Response, requestID string) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("sluice: reading the %s response (request %s): %w", resp.Status, requestID, err)
	}
	var doc wire.ErrorResponse
	if err := json.Unmarshal(data, &doc); err != nil || doc.Error.Code == "" {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		return &Error{StatusCode: resp.StatusCode, Message: fmt.Sprintf("unexpected response %s: %s", resp.Status, msg), RequestID: requestID}
	}
	return newError(resp.StatusCode, doc.Error, requestID)
}

// Health reports whether the server is ready to accept writes: nil, or an
// *Error that unwraps to sluice.ErrUnavailable when it is not (a 503,
// whether or not its body is an API error document).
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/readyz", nil, nil, nil)
	var e *Error
	if errors.As(err, &e) && e.Code == "" && e.StatusCode == http.StatusServiceUnavailable {
		e.Code = wire.CodeUnavailable
	}
	return err
}

// batchErrors turns a batch response's results, which must match n
// entries, into per-entry errors: nil for an entry that succeeded, a *Error
// with StatusCode 0 otherwise.
func batchErrors(results []wire.EntryResult, n int, requestID string) ([]error, error) {
	if len(results) != n {
		return nil, fmt.Errorf("sluice: the server returned %d results for %d entries (request %s)", len(results), n, requestID)
	}
	errs := make([]error, n)
	for i, r := range results {
		if r.Error != nil {
			errs[i] = newError(0, *r.Error, requestID)
		}
	}
	return errs, nil
}

// onlyError returns the error of a one-entry batch: err when the request
// failed, the entry's error otherwise.
func onlyError(errs []error, err error) error {
	if err != nil {
		return err
	}
	return errs[0]
}
