package wire

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
)

// Errors about the HTTP exchange rather than the queue engine. The server
// wraps them with detail; the client never sees them as Go values, only as
// codes.
var (
	// ErrRequestTooLarge means the request body exceeded the server's cap.
	ErrRequestTooLarge = errors.New("request body is too large")
	// ErrUnsupportedMediaType means the request's Content-Type is not JSON.
	ErrUnsupportedMediaType = errors.New("request body must be application/json")
	// ErrNotFound means no route matches the request's path.
	ErrNotFound = errors.New("no such API endpoint")
	// ErrMethodNotAllowed means the path exists but not with this method.
	ErrMethodNotAllowed = errors.New("method not allowed for this endpoint")
)

// Error codes of the native API, as sent in ErrorBody.Code.
const (
	CodeInvalidArgument      = "invalid_argument"
	CodeLimitExceeded        = "limit_exceeded"
	CodeMalformedJSON        = "malformed_json"
	CodeRequestTooLarge      = "request_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeQueueNotFound        = "queue_not_found"
	CodeTopicNotFound        = "topic_not_found"
	CodeSubscriptionNotFound = "subscription_not_found"
	CodeTierNotFound         = "tier_not_found"
	CodeTaskNotFound         = "task_not_found"
	CodeNotTracked           = "not_tracked"
	CodeRuleNotFound         = "rule_not_found"
	CodeWatchNotFound        = "watch_not_found"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeQueueExists          = "queue_exists"
	CodeQueueInUse           = "queue_in_use"
	CodeTopicExists          = "topic_exists"
	CodeReceiptInvalid       = "receipt_invalid"
	CodeReceiptStale         = "receipt_stale"
	CodeNotDeadLetterQueue   = "not_dead_letter_queue"
	CodeTokenInvalid         = "token_invalid"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// codes is the native API's one table between errors and (status, code).
// The server takes the first row whose error matches with errors.Is; the
// client maps a code back to the error of its first row. The typed errors
// (*sluice.InvalidArgumentError and *sluice.LimitError) are matched by
// errors.As in ErrorBodyOf and have a nil error here.
var codes = []struct {
	code   string
	status int
	err    error
}{
	{CodeInvalidArgument, http.StatusBadRequest, nil},
	{CodeLimitExceeded, http.StatusBadRequest, nil},
	{CodeMalformedJSON, http.StatusBadRequest, ErrMalformedJSON},
	{CodeRequestTooLarge, http.StatusRequestEntityTooLarge, ErrRequestTooLarge},
	{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, ErrUnsupportedMediaType},
	{CodeQueueNotFound, http.StatusNotFound, sluice.ErrQueueNotFound},
	{CodeTopicNotFound, http.StatusNotFound, sluice.ErrTopicNotFound},
	{CodeSubscriptionNotFound, http.StatusNotFound, sluice.ErrSubscriptionNotFound},
	{CodeTierNotFound, http.StatusNotFound, sluice.ErrTierNotFound},
	{CodeTaskNotFound, http.StatusNotFound, sluice.ErrTaskNotFound},
	{CodeNotTracked, http.StatusBadRequest, sluice.ErrNotTracked},
	{CodeRuleNotFound, http.StatusNotFound, sluice.ErrRuleNotFound},
	{CodeWatchNotFound, http.StatusNotFound, sluice.ErrWatchNotFound},
	{CodeNotFound, http.StatusNotFound, ErrNotFound},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, ErrMethodNotAllowed},
	{CodeQueueExists, http.StatusConflict, sluice.ErrQueueExists},
	{CodeQueueInUse, http.StatusConflict, sluice.ErrQueueInUse},
	{CodeTopicExists, http.StatusConflict, sluice.ErrTopicExists},
	{CodeReceiptInvalid, http.StatusBadRequest, sluice.ErrReceiptInvalid},
	{CodeReceiptStale, http.StatusConflict, sluice.ErrReceiptStale},
	{CodeNotDeadLetterQueue, http.StatusBadRequest, sluice.ErrNotDeadLetterQueue},
	{CodeTokenInvalid, http.StatusBadRequest, sluice.ErrTokenInvalid},
	{CodeUnavailable, http.StatusServiceUnavailable, sluice.ErrUnavailable},
	{CodeUnavailable, http.StatusServiceUnavailable, sluice.ErrClosed},
	{CodeInternal, http.StatusInternalServerError, nil},
}

// ErrorResponse is the body of every error response.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody describes one error: of a whole request in ErrorResponse, or of
// one entry of a batch in EntryResult.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field names the offending request field for invalid_argument and
	// limit_exceeded errors, as in sluice.InvalidArgumentError.
	Field string `json:"field,omitempty"`
	// Limit and Got are set for limit_exceeded errors.
	Limit int64 `json:"limit,omitempty"`
	Got   int64 `json:"got,omitempty"`
}

// ErrorBodyOf returns the HTTP status and error document for err. Errors
// the table does not know become a bare internal error whose message
// reveals nothing; the caller should log err itself.
func ErrorBodyOf(err error) (int, ErrorBody) {
	var (
		ia *sluice.InvalidArgumentError
		le *sluice.LimitError
	)
	switch {
	case errors.As(err, &ia):
		return http.StatusBadRequest, ErrorBody{Code: CodeInvalidArgument, Message: ia.Error(), Field: ia.Field}
	case errors.As(err, &le):
		return http.StatusBadRequest, ErrorBody{Code: CodeLimitExceeded, Message: le.Error(), Field: le.Field, Limit: le.Limit, Got: le.Got}
	}
	for _, c := range codes {
		if c.err != nil && errors.Is(err, c.err) {
			return c.status, ErrorBody{Code: c.code, Message: err.Error()}
		}
	}
	return http.StatusInternalServerError, ErrorBody{Code: CodeInternal, Message: "internal error"}
}

// Err returns the Go error b stands for: the sluice sentinel of its code, a
// *sluice.InvalidArgumentError or *sluice.LimitError rebuilt from its
// fields, or nil for codes without one (internal, unknown codes, and the
// HTTP-level codes such as malformed_json).
func (b ErrorBody) Err() error {
	switch b.Code {
	case CodeInvalidArgument:
		return &sluice.InvalidArgumentError{Field: b.Field, Reason: b.Reason()}
	case CodeLimitExceeded:
		return &sluice.LimitError{Field: b.Field, Limit: b.Limit, Got: b.Got}
	}
	for _, c := range codes {
		if c.code == b.Code && c.err != nil && !httpLevel(c.err) {
			return c.err
		}
	}
	return nil
}

// httpLevel reports whether err is about the HTTP exchange, not the engine.
func httpLevel(err error) bool {
	switch err {
	case ErrMalformedJSON, ErrRequestTooLarge, ErrUnsupportedMediaType, ErrNotFound, ErrMethodNotAllowed:
		return true
	}
	return false
}

// Reason returns the message of an invalid_argument error without the
// "invalid <field>: " prefix that sluice.InvalidArgumentError puts in front
// of its reason, so that rebuilding the error does not repeat the field.
func (b ErrorBody) Reason() string {
	prefix := "invalid argument: "
	if b.Field != "" {
		prefix = "invalid " + b.Field + ": "
	}
	return strings.TrimPrefix(b.Message, prefix)
}

// Codes returns every error code of the native API, once each, in the
// table's order.
func Codes() []string {
	var out []string
	for _, c := range codes {
		if !slices.Contains(out, c.code) {
			out = append(out, c.code)
		}
	}
	return out
}

// Status returns the HTTP status the server sends with code, or 500 for a
// code it does not know.
func Status(code string) int {
	for _, c := range codes {
		if c.code == code {
			return c.status
		}
	}
	return http.StatusInternalServerError
}
