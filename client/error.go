package client

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Error is an error reported by the server, for a whole request or for one
// entry of a batch.
//
// It unwraps to the error the server's engine returned: the sluice sentinel
// for the code (queue_not_found is sluice.ErrQueueNotFound, receipt_stale
// sluice.ErrReceiptStale, unavailable sluice.ErrUnavailable, and so on), a
// *sluice.InvalidArgumentError for invalid_argument, and for
// limit_exceeded both a *sluice.LimitError and a *sluice.InvalidArgumentError,
// so that one errors.As finds any rejected field. Codes about the HTTP
// exchange (malformed_json, not_found, ...) and internal errors unwrap to
// nothing.
type Error struct {
	// StatusCode is the response's HTTP status; zero for the error of one
	// entry of a batch, whose response succeeded.
	StatusCode int
	// Code is the API's error code ("queue_not_found"), empty when the
	// response was not an API error document.
	Code    string
	Message string
	// Field names the rejected request field for invalid_argument and
	// limit_exceeded errors ("messages[2].body_base64").
	Field string
	// RequestID is the response's X-Request-Id, for matching server logs.
	RequestID string

	limit, got int64 // of limit_exceeded errors
}

func newError(status int, b wire.ErrorBody, requestID string) *Error {
	return &Error{
		StatusCode: status, Code: b.Code, Message: b.Message, Field: b.Field, RequestID: requestID,
		limit: b.Limit, got: b.Got,
	}
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	var detail []string
	if e.Code != "" {
		detail = append(detail, e.Code)
	}
	if e.StatusCode != 0 {
		detail = append(detail, fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode)))
	}
	if e.RequestID != "" {
		detail = append(detail, "request "+e.RequestID)
	}
	if len(detail) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(detail, ", "))
	}
	return b.String()
}

// Unwrap returns the errors e stands for, as described on Error.
func (e *Error) Unwrap() []error {
	body := wire.ErrorBody{Code: e.Code, Message: e.Message, Field: e.Field, Limit: e.limit, Got: e.got}
	err := body.Err()
	switch {
	case err == nil:
		return nil
	case e.Code == wire.CodeLimitExceeded:
		return []error{err, &sluice.InvalidArgumentError{Field: e.Field, Reason: body.Reason()}}
	}
	return []error{err}
}
