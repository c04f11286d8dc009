package wire

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
)

func TestFilterPolicyForms(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{`{"protocol":"queue","endpoint":"q","filter_policy":{"a": ["b"]}}`, `{"a": ["b"]}`},
		{`{"protocol":"queue","endpoint":"q","filter_policy":"{\"a\":[\"b\"]}"}`, `{"a":["b"]}`},
		{`{"protocol":"queue","endpoint":"q","filter_policy":null}`, ``},
		{`{"protocol":"queue","endpoint":"q"}`, ``},
	} {
		var r SubscribeRequest
		if err := Decode([]byte(tt.in), &r); err != nil {
			t.Fatalf("Decode(%s) = %v", tt.in, err)
		}
		if string(r.FilterPolicy) != tt.want {
			t.Errorf("Decode(%s) policy = %q, want %q", tt.in, r.FilterPolicy, tt.want)
		}
	}
	for _, bad := range []string{`{"filter_policy":[1]}`, `{"filter_policy":3}`, `{"filter_policy":true}`} {
		var r SubscribeRequest
		err := Decode([]byte(bad), &r)
		var ia *sluice.InvalidArgumentError
		if !errors.As(err, &ia) || ia.Field != "filter_policy" {
			t.Errorf("Decode(%s) = %v, want invalid filter_policy", bad, err)
		}
	}
	// Responses give the object; a policy that is not JSON goes as a string
	// so that the server can say what is wrong with it.
	for policy, want := range map[string]string{
		`{ "a" : ["b"] }`: `{"a":["b"]}`,
		`price > 3`:       `"price \u003e 3"`,
		``:                `null`,
	} {
		got, err := json.Marshal(FilterPolicy(policy))
		if err != nil || string(got) != want {
			t.Errorf("Marshal(FilterPolicy(%q)) = %s, %v; want %s", policy, got, err, want)
		}
	}
}

func TestSubscriptionRoundTrip(t *testing.T) {
	s := sluice.Subscription{
		ID: "t/0123", Topic: "t", Protocol: sluice.ProtocolHTTPS, Endpoint: "https://x", FilterPolicy: `{"a":["b"]}`,
		FilterScope: sluice.ScopeBody, Raw: true, DeadLetterQueue: "d", Confirmed: true,
		Delivery: sluice.DeliveryPolicy{MaxAttempts: 3}.WithDefaults(),
	}
	b, err := json.Marshal(FromSubscription(s))
	if err != nil {
		t.Fatal(err)
	}
	var doc Subscription
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, doc.Subscription()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	req := FromSubscribe(s)
	b, _ = json.Marshal(req)
	var back SubscribeRequest
	if err := Decode(b, &back); err != nil {
		t.Fatalf("Decode(%s) = %v", b, err)
	}
	got, err := back.Subscription("t")
	s.ID, s.CreatedAt = "", got.CreatedAt
	if err != nil || !cmp.Equal(s, got) {
		t.Errorf("subscribe request round trip = %+v, %v; want %+v", got, err, s)
	}
}

func TestUpdateSubscriptionRequest(t *testing.T) {
	var r UpdateSubscriptionRequest
	if err := Decode([]byte(`{"filter_policy":null,"raw":true}`), &r); err != nil {
		t.Fatal(err)
	}
	u := r.SubscriptionUpdate()
	if u.FilterPolicy == nil || *u.FilterPolicy != "" || u.Raw == nil || !*u.Raw || u.FilterScope != nil {
		t.Errorf("update = %+v, want policy removed and raw set", u)
	}
	delivery := sluice.DeliveryPolicy{}
	if _, err := FromSubscriptionUpdate(sluice.SubscriptionUpdate{Delivery: &delivery}); err == nil {
		t.Errorf("FromSubscriptionUpdate(delivery) = nil error, want invalid delivery")
	}
}

func TestPublishRequestShapes(t *testing.T) {
	var single PublishRequest
	if err := Decode([]byte(`{"body":"hi","subject":"s","group_id":"g"}`), &single); err != nil {
		t.Fatal(err)
	}
	ins, err := single.PublishInputs()
	if err != nil || single.Batch() || len(ins) != 1 || string(ins[0].Body) != "hi" || ins[0].Subject != "s" || ins[0].GroupID != "g" {
		t.Errorf("single publish = %+v, %v", ins, err)
	}
	var batch PublishRequest
	if err := Decode([]byte(`{"messages":null}`), &batch); err != nil || !batch.Batch() {
		t.Fatalf("Decode(messages null) = %v, batch %v", err, batch.Batch())
	}
	if _, err := batch.PublishInputs(); err == nil {
		t.Errorf("empty batch PublishInputs() = nil error")
	}
	b, _ := json.Marshal(PublishRequest{Messages: []PublishMessage{FromPublishInput(sluice.PublishInput{Body: []byte("x")})}})
	if string(b) != `{"messages":[{"body":"x"}]}` {
		t.Errorf("Marshal(batch) = %s", b)
	}
}
