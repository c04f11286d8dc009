package wire

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func FuzzDecodePublish(f *testing.F) {
	for _, s := range []string{
		`{"body":"hi","subject":"s","attributes":{"k":{"type":"String","value":"v"}},"tenant":"t"}`,
		`{"messages":[{"body":"a","group_id":"g","dedup_id":"d"},{"body":"b"}]}`,
		"{\"body\":\"caf\xe9\"}", `{"messages":[{"body":"a"}],"tenant":"x"}`, `{"messages":null}`,
		`{"subject":"s"}`, `{"body":1}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r PublishRequest
		err := Decode(data, &r)
		checkDecodeError(t, data, err)
		if err != nil {
			return
		}
		ins, err := r.PublishInputs()
		checkDecodeError(t, data, err)
		if err != nil {
			return
		}
		if len(ins) == 0 || !r.Batch() && len(ins) != 1 {
			t.Fatalf("PublishInputs() of %q = %d inputs for batch %v", data, len(ins), r.Batch())
		}
		for _, in := range ins {
			if !utf8.Valid(in.Body) || !utf8.ValidString(in.Subject) {
				t.Fatalf("PublishInputs() of %q accepted text that is not UTF-8: %q", data, in.Body)
			}
		}
	})
}

func FuzzDecodeSubscription(f *testing.F) {
	for _, s := range []string{
		`{"protocol":"queue","endpoint":"q","filter_policy":{"a":["b"]},"filter_scope":"MessageBody","raw":true}`,
		`{"protocol":"http","endpoint":"http://x","filter_policy":"{\"a\":[1]}","delivery":{"max_attempts":3,"min_backoff":"1s","max_rate":1.5},"dead_letter_queue":"d","confirmed":true}`,
		`{"filter_policy":null,"raw":false}`, `{"filter_policy":[1]}`, `{"delivery":{"timeout":-1}}`, `{"token":"abc"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s SubscribeRequest
		err := Decode(data, &s)
		checkDecodeError(t, data, err)
		if err == nil {
			sub, err := s.Subscription("t")
			checkDecodeError(t, data, err)
			if err == nil {
				// What the server reports must encode and read back.
				doc := FromSubscription(sub)
				b, err := json.Marshal(doc)
				if err != nil {
					t.Fatalf("Marshal(FromSubscription(%q)) = %v", data, err)
				}
				var back Subscription
				if err := json.Unmarshal(b, &back); err != nil {
					t.Fatalf("Unmarshal(%s) = %v", b, err)
				}
			}
		}
		var u UpdateSubscriptionRequest
		checkDecodeError(t, data, Decode(data, &u))
		var c ConfirmRequest
		if err := Decode(data, &c); err == nil {
			checkDecodeError(t, data, c.Validate())
		}
		var tc CreateTopicRequest
		checkDecodeError(t, data, Decode(data, &tc))
	})
}
