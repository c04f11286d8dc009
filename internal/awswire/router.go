package awswire

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Protocol is the wire protocol of one request.
type Protocol int

// Protocols.
const (
	// JSON is AWS JSON 1.0: X-Amz-Target names the operation, the body is
	// a JSON object and so is the response.
	JSON Protocol = iota + 1
	// Query is the AWS Query protocol: a form with Action= and Version=,
	// answered with XML.
	Query
)

const (
	contentTypeJSON = "application/x-amz-json-1.0"
	contentTypeXML  = "text/xml"
	xmlHeader       = `<?xml version="1.0"?>`
)

// Handler serves the requests of one AWS service.
type Handler interface {
	ServeAWS(w http.ResponseWriter, r *Request)
}

// Service describes one AWS service served by a Router.
type Service struct {
	// Name is the service's SigV4 signing name: "sqs", "sns".
	Name string
	// TargetPrefix is the X-Amz-Target prefix of its JSON operations
	// ("AmazonSQS"); empty for a Query-only service.
	TargetPrefix string
	// JSONNamespace qualifies error shapes in JSON errors ("com.amazonaws.sqs").
	JSONNamespace string
	// Version is the Query API version ("2012-11-05").
	Version string
	// XMLNamespace is the xmlns of Query responses.
	XMLNamespace string
	// QueuePaths says that unsigned Query requests posted to
	// "/{account}/{name}" belong to this service.
	QueuePaths bool
	Handler    Handler
}

// RouterOptions configures a Router. A zero field means the default.
type RouterOptions struct {
	// MaxRequestBytes caps a request body (default 4 MiB).
	MaxRequestBytes int64
	// Logger receives internal errors with their detail (default: discard).
	Logger *slog.Logger
}

// Router routes AWS requests to the services registered with it. It is
// safe for concurrent use.
type Router struct {
	services []*Service
	maxBody  int64
	log      *slog.Logger
}

// NewRouter returns a router for services, tried in order when a request
// does not say which it is for.
func NewRouter(opts RouterOptions, services ...Service) *Router {
	r := &Router{
		maxBody: cmp.Or(opts.MaxRequestBytes, 4<<20),
		log:     cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
	}
	for i := range services {
		r.services = append(r.services, &services[i])
	}
	return r
}

// Request is one decoded AWS request.
type Request struct {
	HTTP     *http.Request
	Service  *Service
	Protocol Protocol
	Action   string
	// Body is the JSON body of a JSON request.
	Body []byte
	// Form holds a Query request's parameters, from the URL and the body.
	Form url.Values
	// Credential is the request's SigV4 credential, nil when unsigned.
	Credential *Credential
	// RequestID identifies the request in the response and in logs.
	RequestID string
	log       *slog.Logger
}

// IsAWS reports whether r looks like an AWS request at all: it has an
// X-Amz-Target, a SigV4 signature, or an Action parameter in its URL or,
// for form posts, its body (which the check does not consume).
func IsAWS(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" || strings.HasPrefix(r.Header.Get("Authorization"), sigV4Algorithm) {
		return true
	}
	q := r.URL.Query()
	return q.Has("Action") || q.Has("X-Amz-Credential") || r.Method == http.MethodPost && isForm(r.Header.Get("Content-Type"))
}

func isForm(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/x-www-form-urlencoded"
}

// ServeHTTP decodes the request's protocol, service and action, and hands
// it to the service's handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	req := &Request{HTTP: hr, RequestID: newRequestID(), log: rt.log}
	// Until the service is known, errors take the first service's shape.
	req.Service = rt.services[0]
	req.Protocol = Query
	target := hr.Header.Get("X-Amz-Target")
	if target != "" {
		req.Protocol = JSON
	}
	if auth := hr.Header.Get("Authorization"); auth != "" {
		c, err := ParseAuthorization(auth)
		if err != nil && !errors.Is(err, ErrNotSigV4) {
			req.Fail(w, &Error{Code: "IncompleteSignature", Status: http.StatusBadRequest, Message: err.Error()})
			return
		}
		if err == nil {
			req.Credential = &c
		}
	}
	if hr.Method != http.MethodPost && hr.Method != http.MethodGet {
		req.Fail(w, &Error{Code: "InvalidAction", Status: http.StatusMethodNotAllowed, Message: "AWS requests are POST (or Query GET), not " + hr.Method + "."})
		return
	}
	body, err := rt.readBody(w, hr)
	if err != nil {
		req.Fail(w, err.(*Error))
		return
	}
	if target != "" {
		prefix, action, _ := strings.Cut(target, ".")
		svc := rt.byTarget(prefix)
		if svc == nil || action == "" {
			req.Fail(w, &Error{Code: "UnknownOperationException", Status: http.StatusBadRequest, Message: "The operation " + quote(target) + " is not known."})
			return
		}
		req.Service, req.Action, req.Body = svc, action, body
		svc.Handler.ServeAWS(w, req)
		return
	}
	form := hr.URL.Query()
	if hr.Method == http.MethodPost && len(body) > 0 {
		bf, err := url.ParseQuery(string(body))
		if err != nil {
			req.Fail(w, &Error{Code: "MalformedQueryString", Status: http.StatusBadRequest, Message: "The request body is not a valid form: " + err.Error()})
			return
		}
		for k, v := range bf {
			form[k] = append(form[k], v...)
		}
	}
	if req.Credential == nil && form.Has("X-Amz-Credential") {
		if c, err := ParseCredential(form.Get("X-Amz-Credential")); err == nil {
			req.Credential = &c
		}
	}
	req.Form = form
	req.Action = form.Get("Action")
	req.Service = rt.queryService(req)
	if req.Action == "" {
		req.Fail(w, &Error{Code: "MissingAction", Status: http.StatusBadRequest, Message: "The request must contain the parameter Action."})
		return
	}
	req.Service.Handler.ServeAWS(w, req)
}

// readBody reads a request body up to the router's cap.
func (rt *Router) readBody(w http.ResponseWriter, hr *http.Request) ([]byte, error) {
	if hr.ContentLength > rt.maxBody {
		return nil, tooLarge(rt.maxBody)
	}
	var buf bytes.Buffer
	if hr.ContentLength > 0 {
		buf.Grow(int(hr.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, hr.Body, rt.maxBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, tooLarge(rt.maxBody)
	}
	if err != nil {
		return nil, &Error{Code: "MalformedInput", Status: http.StatusBadRequest, Message: "Reading the request body failed: " + err.Error()}
	}
	return buf.Bytes(), nil
}

func tooLarge(limit int64) *Error {
	return &Error{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge,
		Message: "Request body is larger than " + strconv.FormatInt(limit, 10) + " bytes."}
}

func (rt *Router) byTarget(prefix string) *Service {
	for _, s := range rt.services {
		if s.TargetPrefix != "" && s.TargetPrefix == prefix {
			return s
		}
	}
	return nil
}

// queryService picks the service of a Query request: by its credential
// scope, then its Version, then its path, then the first service.
func (rt *Router) queryService(req *Request) *Service {
	if c := req.Credential; c != nil {
		for _, s := range rt.services {
			if s.Name == c.Service {
				return s
			}
		}
	}
	if v := req.Form.Get("Version"); v != "" {
		for _, s := range rt.services {
			if s.Version == v {
				return s
			}
		}
	}
	if _, _, ok := QueuePath(req.HTTP.URL.Path); ok {
		for _, s := range rt.services {
			if s.QueuePaths {
				return s
			}
		}
	}
	return rt.services[0]
}

// QueuePath splits a queue URL's path, "/{account}/{name}", into its parts.
func QueuePath(path string) (account, name string, ok bool) {
	account, name, ok = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok || account == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return account, name, true
}

// Decode decodes the request's input into the struct v points to: the JSON
// body by `json` tags, or the Query form by `query` tags. A bad input
// gives an *Error to send back.
func (r *Request) Decode(v any) *Error {
	if r.Protocol == JSON {
		body := r.Body
		if len(bytes.TrimSpace(body)) == 0 {
			body = []byte("{}")
		}
		if err := json.Unmarshal(body, v); err != nil {
			var te *json.UnmarshalTypeError
			msg := "The request body is not valid JSON."
			if errors.As(err, &te) {
				msg = fmt.Sprintf("Value of %s must be of type %s, not %s.", te.Field, te.Type, te.Value)
			}
			return &Error{Code: "SerializationException", Status: http.StatusBadRequest, Message: msg}
		}
		return nil
	}
	if err := DecodeQuery(r.Form, v); err != nil {
		var qe *QueryError
		if errors.As(err, &qe) {
			return InvalidParameterValue(qe.Param, qe.Value, qe.Reason+".")
		}
		r.log.Error("AWS request decoding failed", "request_id", r.RequestID, "action", r.Action, "error", err)
		return ErrInternal
	}
	return nil
}

// JSONAppender is a result with a hand-written JSON encoder, which Respond
// uses instead of encoding/json. AppendJSON appends the result's JSON to b
// and returns it; it must write what encoding/json would (with HTML
// escaping off).
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// Respond sends result, a struct with `json` and `query` tags, in the
// request's protocol. A nil result sends an empty result.
func (r *Request) Respond(w http.ResponseWriter, result any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", r.RequestID)
	var body []byte
	if r.Protocol == JSON {
		switch res := result.(type) {
		case nil:
			body = []byte("{}")
		case JSONAppender:
			body = res.AppendJSON(nil)
		default:
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(result); err != nil {
				r.Internal(w, fmt.Errorf("encoding the JSON response: %w", err))
				return
			}
			body = b.Bytes()[:b.Len()-1] // without Encode's newline
		}
		h.Set("Content-Type", contentTypeJSON)
	} else {
		var b bytes.Buffer
		b.WriteString(xmlHeader + "<" + r.Action + "Response xmlns=\"" + r.Service.XMLNamespace + "\">")
		if result != nil {
			b.WriteString("<" + r.Action + "Result>")
			if err := EncodeXML(&b, result); err != nil {
				r.Internal(w, fmt.Errorf("encoding the XML response: %w", err))
				return
			}
			b.WriteString("</" + r.Action + "Result>")
		}
		b.WriteString("<ResponseMetadata><RequestId>" + r.RequestID + "</RequestId></ResponseMetadata></" + r.Action + "Response>")
		body = b.Bytes()
		h.Set("Content-Type", contentTypeXML)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body) // an error means the client went away
}

// Fail sends e in the request's protocol.
func (r *Request) Fail(w http.ResponseWriter, e *Error) {
	if r.Protocol == JSON {
		writeJSONError(w, r.Service.JSONNamespace, r.RequestID, e)
		return
	}
	writeQueryError(w, r.Service.XMLNamespace, r.RequestID, e)
}

// Internal logs err with its detail and sends the client a bare internal error.
func (r *Request) Internal(w http.ResponseWriter, err error) {
	r.log.Error("AWS API internal error", "request_id", r.RequestID, "service", r.Service.Name, "action", r.Action, "error", err)
	r.Fail(w, ErrInternal)
}

// newRequestID returns a random UUID, as AWS request ids are.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
