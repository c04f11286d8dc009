package awswire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Error is an AWS error response. Code is the error's shape name, which
// AWS JSON 1.0 responses carry in "__type"; QueryCode is the code Query
// responses carry in <Code> and JSON responses repeat in the
// x-amzn-query-error header (empty means Code). Clients of
// query-compatible services (SQS) see QueryCode from ErrorCode().
type Error struct {
	Code      string
	QueryCode string
	Status    int
	// Receiver marks a server-side fault; otherwise the sender is at fault.
	Receiver bool
	Message  string
}

// Error implements error.
func (e *Error) Error() string { return e.queryCode() + ": " + e.Message }

// ClientCode returns the code clients of query-compatible services see:
// QueryCode, or Code when there is none. Batch results carry it.
func (e *Error) ClientCode() string { return e.queryCode() }

func (e *Error) queryCode() string {
	if e.QueryCode != "" {
		return e.QueryCode
	}
	return e.Code
}

func (e *Error) fault() string {
	if e.Receiver {
		return "Receiver"
	}
	return "Sender"
}

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, queryCode, format string, args ...any) *Error {
	return &Error{Code: code, QueryCode: queryCode, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Errors shared by every AWS service.
var (
	// ErrInternal is what a client sees of an unexpected failure.
	ErrInternal = &Error{Code: "InternalFailure", QueryCode: "InternalError", Status: http.StatusInternalServerError, Receiver: true,
		Message: "We encountered an internal error. Please try again."}
	// ErrUnavailable is returned while the engine refuses work; clients retry.
	ErrUnavailable = &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Receiver: true,
		Message: "The service is unavailable. Please try again later."}
)

// InvalidParameterValue returns the error AWS sends for a bad parameter,
// with its usual message: "Value V for parameter P is invalid. Reason: R."
func InvalidParameterValue(param, value, reason string) *Error {
	return &Error{Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Status: http.StatusBadRequest,
		Message: "Value " + value + " for parameter " + param + " is invalid. Reason: " + reason}
}

// InvalidParameter returns an InvalidParameterValue error with a free message.
func InvalidParameter(format string, args ...any) *Error {
	return &Error{Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Status: http.StatusBadRequest,
		Message: fmt.Sprintf(format, args...)}
}

// MissingParameter returns the error AWS sends when a required parameter is absent.
func MissingParameter(param string) *Error {
	return &Error{Code: "MissingRequiredParameterException", QueryCode: "MissingParameter", Status: http.StatusBadRequest,
		Message: "The request must contain the parameter " + param + "."}
}

// writeJSONError writes e as AWS JSON 1.0 does: the status, the
// x-amzn-query-error header ("Code;Sender") and a body with "__type"
// qualified by namespace ("com.amazonaws.sqs#QueueDoesNotExist").
func writeJSONError(w http.ResponseWriter, namespace, requestID string, e *Error) {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amzn-query-error", e.queryCode()+";"+e.fault())
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{namespace + "#" + e.Code, e.Message}) // strings only: cannot fail
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	w.Write(body)
}

// writeQueryError writes e as the Query protocol does: an XML
// <ErrorResponse> with the fault type, code and message, and the request id.
func writeQueryError(w http.ResponseWriter, xmlns, requestID string, e *Error) {
	var b strings.Builder
	b.WriteString(xmlHeader)
	b.WriteString(`<ErrorResponse xmlns="` + xmlns + `"><Error><Type>` + e.fault() + `</Type><Code>`)
	escapeXML(&b, e.queryCode())
	b.WriteString(`</Code><Message>`)
	escapeXML(&b, e.Message)
	b.WriteString(`</Message><Detail/></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
	h := w.Header()
	h.Set("Content-Type", contentTypeXML)
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	w.Write([]byte(b.String()))
}
