package awswire

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// recorder is a service handler that remembers what it was routed.
type recorder struct {
	name string
	got  *Request
}

func (h *recorder) ServeAWS(w http.ResponseWriter, r *Request) {
	h.got = r
	r.Respond(w, struct {
		Service string `json:"Service" query:"Service"`
	}{h.name})
}

func TestRouting(t *testing.T) {
	sqs, sns := &recorder{name: "sqs"}, &recorder{name: "sns"}
	rt := NewRouter(RouterOptions{},
		Service{Name: "sqs", TargetPrefix: "AmazonSQS", JSONNamespace: "com.amazonaws.sqs", Version: "2012-11-05", XMLNamespace: "sqs-ns", QueuePaths: true, Handler: sqs},
		Service{Name: "sns", Version: "2010-03-31", XMLNamespace: "sns-ns", Handler: sns})
	sign := func(svc string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/" + svc + "/aws4_request, SignedHeaders=host, Signature=x"
	}
	tests := []struct {
		name, path, target, auth, body string
		service                        *recorder
		protocol                       Protocol
		action                         string
	}{
		{"json target", "/", "AmazonSQS.SendMessage", sign("sqs"), `{}`, sqs, JSON, "SendMessage"},
		{"query signed for sns", "/", "", sign("sns"), "Action=Publish", sns, Query, "Publish"},
		{"query signed for sqs", "/", "", sign("sqs"), "Action=ListQueues", sqs, Query, "ListQueues"},
		{"unsigned, by version", "/", "", "", "Action=Publish&Version=2010-03-31", sns, Query, "Publish"},
		{"unsigned, by queue path", "/000000000000/jobs", "", "", "Action=SendMessage", sqs, Query, "SendMessage"},
	}
	for _, tt := range tests {
		sqs.got, sns.got = nil, nil
		req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
		if tt.target != "" {
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", contentTypeJSON)
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		if !IsAWS(req) {
			t.Errorf("%s: IsAWS = false", tt.name)
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		got := tt.service.got
		if got == nil || got.Protocol != tt.protocol || got.Action != tt.action {
			t.Errorf("%s: routed %+v (status %d %s), want %s %v %s", tt.name, got, w.Code, w.Body, tt.service.name, tt.protocol, tt.action)
			continue
		}
		if tt.auth != "" && (got.Credential == nil || got.Credential.Region != "eu-west-1") {
			t.Errorf("%s: credential = %+v, want the scope kept", tt.name, got.Credential)
		}
		if w.Header().Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no request id", tt.name)
		}
	}

	// Failures come in the protocol of the request.
	for _, tt := range []struct {
		name, target, auth, body string
		status                   int
		want                     string
	}{
		{"unknown target", "AmazonKinesis.Put", "", `{}`, 400, `"__type":"com.amazonaws.sqs#UnknownOperationException"`},
		{"malformed signature", "", "AWS4-HMAC-SHA256 Credential=AKID", "Action=X", 400, "<Code>IncompleteSignature</Code>"},
		{"no action", "", sign("sqs"), "Version=2012-11-05", 400, "<Code>MissingAction</Code>"},
	} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tt.target != "" {
			req.Header.Set("X-Amz-Target", tt.target)
		}
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		body, _ := io.ReadAll(w.Body)
		if w.Code != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, w.Code, body, tt.status, tt.want)
		}
	}

	if IsAWS(httptest.NewRequest("GET", "/", nil)) {
		t.Error("IsAWS(GET /) = true, want false: browsers and probes are not AWS clients")
	}
}
