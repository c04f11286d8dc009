package wire

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Duration is a time.Duration in JSON. It encodes as a Go duration string
// ("1m30s", "0s") and decodes from such a string or from a JSON number of
// seconds, which may have a fraction (1.5 is 1.5s). Decoding does not reject
// negative values; the conversions to sluice types do, naming the field.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, time.Duration(d).String()), nil
}

// UnmarshalJSON implements json.Unmarshaler. JSON null leaves d unchanged. A
// value that is neither a valid duration string nor a number in range yields
// a *json.UnmarshalTypeError, which Decode reports as an invalid argument.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, ok := parseDuration(b)
	if !ok {
		return &json.UnmarshalTypeError{Value: literal(b), Type: durationType}
	}
	*d = Duration(v)
	return nil
}

func parseDuration(b []byte) (time.Duration, bool) {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, false
		}
		v, err := time.ParseDuration(s)
		return v, err == nil
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false
	}
	ns := math.Round(secs * float64(time.Second))
	if math.IsNaN(ns) || ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, false
	}
	return time.Duration(ns), true
}

// literal describes a JSON literal for an error message, as encoding/json
// does ("string \"abc\"", "number 1e99", "bool").
func literal(b []byte) string {
	const max = 40
	s := string(b)
	if len(s) > max {
		s = s[:max] + "..."
	}
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '"':
		return "string " + s
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	}
	return "number " + s
}

// ptr converts an optional Duration.
func (d *Duration) ptr() *time.Duration {
	if d == nil {
		return nil
	}
	v := time.Duration(*d)
	return &v
}

// durationPtr converts an optional time.Duration.
func durationPtr(d *time.Duration) *Duration {
	if d == nil {
		return nil
	}
	v := Duration(*d)
	return &v
}
