package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/sluicehq/sluice/internal/filter"
)

// benchPolicies are the shapes subscriptions use most: one exact key; three
// keys with prefix, numeric and anything-but; an $or of two branches.
var benchPolicies = []struct {
	name   string
	policy string
}{
	{"OneExact", `{"event": ["order_placed"]}`},
	{"ThreeKeys", `{"region": [{"prefix": "eu-"}], "price": [{"numeric": [">=", 100, "<", 1000]}], "channel": [{"anything-but": ["test", "internal"]}]}`},
	{"OrOfTwo", `{"$or": [{"event": ["order_cancelled"]}, {"event": ["order_placed"], "price": [{"numeric": [">", 500]}]}]}`},
}

func BenchmarkMatchAttributes(b *testing.B) {
	attrs := map[string]filter.Attribute{
		"event":    {Type: "String", Value: "order_placed"},
		"region":   {Type: "String", Value: "eu-west-1"},
		"price":    {Type: "Number", Value: "742.50"},
		"channel":  {Type: "String", Value: "web"},
		"customer": {Type: "String", Value: "c-1234"},
	}
	for _, bp := range benchPolicies {
		b.Run(bp.name, func(b *testing.B) {
			p := mustCompile(b, bp.policy, filter.MessageAttributes)
			if !p.MatchAttributes(attrs) {
				b.Fatal("MatchAttributes() = false, want true")
			}
			b.ReportAllocs()
			for b.Loop() {
				p.MatchAttributes(attrs)
			}
		})
	}
}

func BenchmarkMatchBody(b *testing.B) {
	body := []byte(`{"event": "order_placed", "region": "eu-west-1", "price": 742.50, "channel": "web",` +
		` "customer": {"id": "c-1234", "tier": "gold"}, "items": [{"sku": "BK-1", "qty": 2}, {"sku": "TOY-7", "qty": 1}]}`)
	for _, bp := range benchPolicies {
		b.Run(bp.name, func(b *testing.B) {
			p := mustCompile(b, bp.policy, filter.MessageBody)
			if !p.MatchBody(body) {
				b.Fatal("MatchBody() = false, want true")
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				p.MatchBody(body)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	policy := []byte(benchPolicies[1].policy)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filter.Compile(policy, filter.MessageAttributes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaseline gives the figures above something to be compared with
// in the same run: the hand-written Go test of the OneExact policy against
// the attributes, and decoding the body with encoding/json, which any
// filter that decodes before matching would pay.
func BenchmarkBaseline(b *testing.B) {
	b.Run("HandWrittenExact", func(b *testing.B) {
		attrs := map[string]filter.Attribute{
			"event":    {Type: "String", Value: "order_placed"},
			"region":   {Type: "String", Value: "eu-west-1"},
			"price":    {Type: "Number", Value: "742.50"},
			"channel":  {Type: "String", Value: "web"},
			"customer": {Type: "String", Value: "c-1234"},
		}
		match := func() bool {
			a, ok := attrs["event"]
			return ok && a.Type == "String" && a.Value == "order_placed"
		}
		if !match() {
			b.Fatal("no match")
		}
		for b.Loop() {
			match()
		}
	})
	b.Run("UnmarshalBody", func(b *testing.B) {
		body := []byte(`{"event": "order_placed", "region": "eu-west-1", "price": 742.50, "channel": "web",` +
			` "customer": {"id": "c-1234", "tier": "gold"}, "items": [{"sku": "BK-1", "qty": 2}, {"sku": "TOY-7", "qty": 1}]}`)
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
