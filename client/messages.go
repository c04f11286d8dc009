package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Send sends one message to queue. Bodies that are not valid UTF-8 are sent
// in base64 and arrive unchanged. On a FIFO queue a duplicate within the
// deduplication window is not an error: the result has Duplicate set and
// the first message's ID.
func (c *Client) Send(ctx context.Context, queue string, in sluice.SendInput) (sluice.SendResult, error) {
	path, err := queuePath(queue, "/messages")
	if err != nil {
		return sluice.SendResult{}, err
	}
	var res wire.SendResult
	body := wire.AppendSendRequest(make([]byte, 0, sendRequestSize(&in)), []sluice.SendInput{in}, false)
	if _, err := c.do(ctx, http.MethodPost, path, nil, encoded(body), &res); err != nil {
		return sluice.SendResult{}, err
	}
	return res.SendResult(), nil
}

// SendBatch sends messages to queue in one request and returns their
// results in order. The batch is all or nothing: if any message is invalid
// none is sent, and the error's Field names the entry
// ("messages[3].attributes").
func (c *Client) SendBatch(ctx context.Context, queue string, ins []sluice.SendInput) ([]sluice.SendResult, error) {
	path, err := queuePath(queue, "/messages")
	if err != nil {
		return nil, err
	}
	size := 16
	for i := range ins {
		size += sendRequestSize(&ins[i])
	}
	body := wire.AppendSendRequest(make([]byte, 0, size), ins, true)
	var resp wire.SendBatchResponse
	id, err := c.do(ctx, http.MethodPost, path, nil, encoded(body), &resp)
	if err != nil {
		return nil, err
	}
	if len(resp.Messages) != len(ins) {
		return nil, fmt.Errorf("sluice: the server returned %d results for %d messages (request %s)", len(resp.Messages), len(ins), id)
	}
	out := make([]sluice.SendResult, len(ins))
	for i, r := range resp.Messages {
		out[i] = r.SendResult()
	}
	return out, nil
}

// Receive receives up to opts.Max messages (default 1) from queue, waiting
// up to opts.WaitTime (default the queue's) for the first to arrive; it
// returns no messages and no error when none arrived in time. Cancelling
// ctx ends the wait. Each message stays invisible to other receivers for
// the visibility timeout; acknowledge it with Ack or return it with Nack.
func (c *Client) Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error) {
	path, err := queuePath(queue, "/receive")
	if err != nil {
		return nil, err
	}
	var resp receiveResponse
	id, err := c.do(ctx, http.MethodPost, path, nil, wire.FromReceiveOptions(opts), &resp)
	if err != nil {
		return nil, err
	}
	if resp.msgs != nil {
		return resp.msgs, nil
	}
	msgs := make([]sluice.Message, len(resp.doc.Messages))
	for i, m := range resp.doc.Messages {
		if msgs[i], err = m.Message(); err != nil {
			return nil, fmt.Errorf("sluice: decoding the response (request %s): %w", id, err)
		}
	}
	return msgs, nil
}

// receiveResponse is the body of a receive's response: the messages, when
// wire.DecodeReceiveMessages decoded them, or else the document as
// json.Unmarshal decodes it, which Receive converts and whose errors it
// reports.
type receiveResponse struct {
	msgs []sluice.Message
	doc  wire.ReceiveResponse
}

func (r *receiveResponse) decodeBody(data []byte) error {
	if msgs, ok := wire.DecodeReceiveMessages(data); ok {
		r.msgs = msgs
		return nil
	}
	return json.Unmarshal(data, &r.doc)
}

// Ack acknowledges a received message, deleting it. A receipt that names no
// message yields an error that is sluice.ErrReceiptInvalid; one superseded
// by a later delivery, sluice.ErrReceiptStale.
func (c *Client) Ack(ctx context.Context, queue, receipt string) error {
	return onlyError(c.AckBatch(ctx, queue, []string{receipt}))
}

// AckBatch acknowledges received messages in one request. The error is
// about the request as a whole; the slice holds one error per receipt, nil
// for those acknowledged, each a *Error otherwise.
func (c *Client) AckBatch(ctx context.Context, queue string, receipts []string) ([]error, error) {
	path, err := queuePath(queue, "/ack")
	if err != nil {
		return nil, err
	}
	if receipts == nil {
		receipts = []string{}
	}
	size := 16
	for _, r := range receipts {
		size += len(r) + 3
	}
	body := wire.AckRequest{Receipts: receipts}.AppendJSON(make([]byte, 0, size))
	var resp wire.AckResponse
	id, err := c.do(ctx, http.MethodPost, path, nil, encoded(body), &resp)
	if err != nil {
		return nil, err
	}
	return batchErrors(resp.Results, len(receipts), id)
}

// ChangeVisibility sets how much longer a received message stays invisible:
// zero returns it to the queue at once, a positive timeout extends or
// shortens its lease. Errors are as for Ack.
func (c *Client) ChangeVisibility(ctx context.Context, queue, receipt string, timeout time.Duration) error {
	return onlyError(c.ChangeVisibilityBatch(ctx, queue, []sluice.VisibilityChange{{Receipt: receipt, Timeout: timeout}}))
}

// ChangeVisibilityBatch applies visibility changes in one request, with
// per-entry errors as for AckBatch.
func (c *Client) ChangeVisibilityBatch(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error) {
	path, err := queuePath(queue, "/visibility")
	if err != nil {
		return nil, err
	}
	var resp wire.VisibilityResponse
	id, err := c.do(ctx, http.MethodPost, path, nil, wire.FromVisibilityChanges(changes), &resp)
	if err != nil {
		return nil, err
	}
	return batchErrors(resp.Results, len(changes), id)
}

// Nack returns a received message to the queue, to be delivered again
// after delay (zero: at once). Errors are as for Ack.
func (c *Client) Nack(ctx context.Context, queue, receipt string, delay time.Duration) error {
	path, err := queuePath(queue, "/nack")
	if err != nil {
		return err
	}
	d := wire.Duration(delay)
	var resp wire.VisibilityResponse
	id, err := c.do(ctx, http.MethodPost, path, nil, wire.NackRequest{Receipts: []string{receipt}, Delay: &d}, &resp)
	if err != nil {
		return err
	}
	return onlyError(batchErrors(resp.Results, 1, id))
}

// sendRequestSize estimates the encoded size of in, so that encoding a
// batch rarely grows its buffer.
func sendRequestSize(in *sluice.SendInput) int {
	n := len(in.Body)*4/3 + len(in.Tenant) + len(in.GroupID) + len(in.DedupID) + 96
	for name, a := range in.Attributes {
		n += len(name) + len(a.Type) + len(a.String) + len(a.Binary)*4/3 + 40
	}
	return n
}
