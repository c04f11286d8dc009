package filter_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/sluicehq/sluice/internal/filter"
)

var fuzzPolicies = []string{
	`{}`,
	`{"a": ["x", 1, true, null]}`,
	`{"a": [{"prefix": "x"}, {"suffix": "y"}, {"equals-ignore-case": "Z"}]}`,
	`{"a": [{"anything-but": ["x", "y"]}, {"anything-but": {"prefix": "p"}}, {"anything-but": [1, 2]}]}`,
	`{"a": [{"numeric": [">", 0, "<=", 5]}, {"numeric": ["=", 3e2]}]}`,
	`{"a": [{"exists": true}], "b": [{"exists": false}]}`,
	`{"c": [{"cidr": "10.0.0.0/24"}, {"cidr": "2001:db8::/32"}]}`,
	`{"a": {"b": {"c": ["x"]}}, "$or": [{"b": ["y"]}, {"c": [{"numeric": ["<", 0]}]}]}`,
	`{"$or": [{"numeric": 1}, {"prefix": "x"}]}`,
	`{"a": "x"}`,
}

func FuzzCompile(f *testing.F) {
	for _, p := range fuzzPolicies {
		f.Add([]byte(p), false)
		f.Add([]byte(p), true)
	}
	f.Fuzz(func(t *testing.T, policy []byte, body bool) {
		scope := filter.MessageAttributes
		if body {
			scope = filter.MessageBody
		}
		p, err := filter.Compile(policy, scope)
		if err != nil {
			if _, ok := err.(*filter.Error); !ok {
				t.Fatalf("Compile() error is %T, want *filter.Error", err)
			}
			return
		}
		text := p.String()
		q, err := filter.Compile([]byte(text), scope)
		if err != nil {
			t.Fatalf("Compile(%s) = %v; it is the String() of %s", text, err, policy)
		}
		if got := q.String(); got != text {
			t.Fatalf("String() not stable:\nfirst:  %s\nsecond: %s", text, got)
		}
		// Equivalent policies agree on any message; the policy itself is a handy one.
		if p.MatchBody(policy) != q.MatchBody(policy) {
			t.Fatalf("MatchBody(%s) differs between %s and its String()", policy, policy)
		}
	})
}

func FuzzMatch(f *testing.F) {
	bodies := []string{`{"a": "x", "b": [1, "y"], "c": "10.0.0.7"}`, `{"a": {"b": {"c": "x"}}}`, `[1]`, `{"a": null}`, `["x", 1e3, true, null, {"a": 1}]`, `3e2`}
	for i, p := range fuzzPolicies {
		f.Add([]byte(p), []byte(bodies[i%len(bodies)]))
	}
	f.Fuzz(func(t *testing.T, policy, body []byte) {
		attrs := map[string]filter.Attribute{
			"a": {Type: "String", Value: string(body)},
			"b": {Type: "String.Array", Value: string(body)},
			"c": {Type: "Number", Value: string(body)},
			"d": {Type: "Binary", Value: string(body)},
		}
		for _, scope := range []filter.Scope{filter.MessageAttributes, filter.MessageBody} {
			p, err := filter.Compile(policy, scope)
			if err != nil {
				continue
			}
			got := p.MatchBody(body)
			// The in-place scanner must agree with encoding/json: re-encoding
			// the body (sorted keys, duplicates dropped, escapes rewritten)
			// must not change the verdict.
			if again, ok := reencode(body); ok && p.MatchBody(again) != got {
				t.Fatalf("policy %s: MatchBody(%s) = %v but MatchBody(%s) = %v", policy, body, got, again, !got)
			}
			p.MatchAttributes(attrs)
			p.Match(attrs, body)
		}
	})
}

// reencode decodes body with encoding/json and encodes it again.
func reencode(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	out, err := json.Marshal(v)
	return out, err == nil
}
