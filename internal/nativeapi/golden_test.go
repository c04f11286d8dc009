package nativeapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden pins representative responses (indented for review), so that a
// change to the wire format shows up in review. Run with -update to accept
// a deliberate change.
func TestGolden(t *testing.T) {
	now := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	f := setup(t, func(o *setupOptions) { o.now = func() time.Time { return now } })
	tests := []struct {
		name                string
		method, path, ctype string
		body                string
	}{
		{"create_queue", "POST", "/v1/queues", "application/json", `{"name":"orders","visibility_timeout":"45s","tags":{"team":"a"}}`},
		{"create_dlq", "POST", "/v1/queues", "application/json", `{"name":"dead"}`},
		{"update_queue", "PATCH", "/v1/queues/orders", "application/json", `{"delay":90,"dead_letter":{"queue":"dead","max_receives":5}}`},
		{"get_queue", "GET", "/v1/queues/orders", "", ``},
		{"list_queues", "GET", "/v1/queues?limit=1", "", ``},
		{"stats", "GET", "/v1/queues/orders/stats", "", ``},
		{"queue_not_found", "GET", "/v1/queues/nope", "", ``},
		{"malformed_json", "POST", "/v1/queues/orders/messages", "application/json", `{"body":`},
		{"unknown_field", "POST", "/v1/queues/orders/messages", "application/json", `{"messages":[{"body":"a","colour":"red"}]}`},
		{"limit_exceeded", "GET", "/v1/queues?limit=5000", "", ``},
		{"method_not_allowed", "PUT", "/v1/queues/orders", "application/json", `{}`},
		{"not_found", "GET", "/v2/queues", "", ``},
	}
	for _, tt := range tests {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := f.do(t, tt.method, tt.path, tt.ctype, body)
		var got bytes.Buffer
		got.WriteString(tt.method + " " + tt.path + "\n" + strconv.Itoa(r.status) + " " + r.header.Get("Content-Type") + "\n")
		if err := json.Indent(&got, r.body, "", "  "); err != nil {
			t.Fatalf("%s %s: response is not JSON: %v: %s", tt.method, tt.path, err, r.body)
		}
		path := filepath.Join("testdata", tt.name+".golden")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s %s response differs from %s:\ngot:\n%s\nwant:\n%s", tt.method, tt.path, path, got.Bytes(), want)
		}
	}
}
