package wire

import (
	"errors"
	"testing"

	"github.com/sluicehq/sluice"
)

// checkDecodeError fails unless err is nil, malformed JSON or an invalid
// argument: the only outcomes Decode and the conversions promise.
func checkDecodeError(t *testing.T, data []byte, err error) {
	t.Helper()
	var ia *sluice.InvalidArgumentError
	if err != nil && !errors.Is(err, ErrMalformedJSON) && !errors.As(err, &ia) {
		t.Fatalf("decoding %q: %v (%T), want malformed JSON or invalid argument", data, err, err)
	}
}

func FuzzDecodeSend(f *testing.F) {
	for _, s := range []string{
		`{"body":"hi"}`,
		`{"body_base64":"AP8=","attributes":{"k":{"type":"Binary","binary":"AQ=="}},"delay":"10s"}`,
		`{"messages":[{"body":"a","tenant":"t","group_id":"g","dedup_id":"d"},{"body_base64":"YQ=="}]}`,
		`{"messages":[{"body":"a","attributes":{"n":{"type":"Number","value":"1"}}}],"body":"x"}`,
		`{"messages":null}`, `null`, `[]`, `{"delay":1e400}`, `{"body":"a"} x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r SendRequest
		err := Decode(data, &r)
		checkDecodeError(t, data, err)
		if err != nil {
			return
		}
		ins, err := r.SendInputs()
		checkDecodeError(t, data, err)
		if err == nil && (len(ins) == 0 || !r.Batch() && len(ins) != 1) {
			t.Fatalf("SendInputs() of %q = %d inputs for batch %v", data, len(ins), r.Batch())
		}
	})
}

func FuzzDecodeReceive(f *testing.F) {
	for _, s := range []string{`{"max":10,"wait":"20s","visibility_timeout":30}`, `{"wait":-1}`, `{"max":"1"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r ReceiveRequest
		err := Decode(data, &r)
		checkDecodeError(t, data, err)
		if err == nil {
			_, err = r.ReceiveOptions()
			checkDecodeError(t, data, err)
		}
	})
}

func FuzzDecodeVisibility(f *testing.F) {
	for _, s := range []string{`{"changes":[{"receipt":"r","timeout":"0s"}]}`, `{"changes":[{"receipt":"r"}]}`, `{"changes":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r VisibilityRequest
		err := Decode(data, &r)
		checkDecodeError(t, data, err)
		if err == nil {
			_, err = r.VisibilityChanges()
			checkDecodeError(t, data, err)
		}
		var n NackRequest
		err = Decode(data, &n)
		checkDecodeError(t, data, err)
		if err == nil {
			_, err = n.VisibilityChanges()
			checkDecodeError(t, data, err)
		}
	})
}

func FuzzDecodeQueue(f *testing.F) {
	for _, s := range []string{
		`{"name":"q","visibility_timeout":"30s","dead_letter":{"queue":"d","max_receives":3},"tags":{"a":"b"}}`,
		`{"dead_letter":null,"delay":5}`, `{"retention":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c CreateQueueRequest
		checkDecodeError(t, data, Decode(data, &c))
		var u UpdateQueueRequest
		checkDecodeError(t, data, Decode(data, &u))
	})
}

func FuzzDecodeTopicUpdate(f *testing.F) {
	for _, s := range []string{
		`{"display_name":"Orders","policy":"{}","delivery_policy":"{\"http\":{}}","content_based_dedup":true}`,
		`{"display_name":null}`, `{}`, `{"name":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c CreateTopicRequest
		checkDecodeError(t, data, Decode(data, &c))
		var u UpdateTopicRequest
		checkDecodeError(t, data, Decode(data, &u))
	})
}
