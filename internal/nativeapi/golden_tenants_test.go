package nativeapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestGoldenTenants pins the tenant and tier documents, like TestGolden.
func TestGoldenTenants(t *testing.T) {
	now := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	f := setup(t, func(o *setupOptions) { o.now = func() time.Time { return now } })
	tests := []struct {
		name, method, path, body string
	}{
		{"", "POST", "/v1/queues", `{"name":"orders"}`},
		{"set_tier", "PUT", "/v1/tiers/pro", `{"policy":{"weight":4,"rate":100,"burst":20,"max_in_flight":50}}`},
		{"list_tiers", "GET", "/v1/tiers", ``},
		{"set_tenant", "PUT", "/v1/tenants/acme", `{"tier":"pro"}`},
		{"set_queue_tenant", "PUT", "/v1/queues/orders/tenants/acme", `{"policy":{"max_in_flight":5}}`},
		{"list_tenant_settings", "GET", "/v1/tenants", ``},
		{"", "POST", "/v1/queues/orders/messages", `{"messages":[{"body":"a","tenant":"acme"},{"body":"b","tenant":"acme"},{"body":"c","tenant":"zed"}]}`},
		{"list_queue_tenants", "GET", "/v1/queues/orders/tenants", ``},
		{"get_queue_tenant", "GET", "/v1/queues/orders/tenants/acme", ``},
		{"tier_not_found", "PUT", "/v1/tenants/acme", `{"tier":"gold"}`},
		{"invalid_policy", "PUT", "/v1/tiers/bad", `{"policy":{"weight":-1}}`},
	}
	for _, tt := range tests {
		var body any
		ctype := ""
		if tt.body != "" {
			body, ctype = tt.body, "application/json"
		}
		r := f.do(t, tt.method, tt.path, ctype, body)
		if tt.name == "" {
			if r.status >= 300 {
				t.Fatalf("%s %s = %d: %s", tt.method, tt.path, r.status, r.body)
			}
			continue
		}
		var got bytes.Buffer
		got.WriteString(tt.method + " " + tt.path + "\n" + strconv.Itoa(r.status) + " " + r.header.Get("Content-Type") + "\n")
		if err := json.Indent(&got, r.body, "", "  "); err != nil {
			t.Fatalf("%s %s: response is not JSON: %v: %s", tt.method, tt.path, err, r.body)
		}
		path := filepath.Join("testdata", tt.name+".golden")
		if *update {
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
