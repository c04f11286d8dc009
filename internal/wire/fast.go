package wire

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The documents with custom UnmarshalJSON methods (SendRequest, Attributes,
// VisibilityRequest) decode their members one at a time so that errors name
// the member, at the cost of scanning the same bytes several times. The hot
// ones have a fast path instead, which Decode tries first. It must accept
// nothing the precise path would reject and decode the same value; where it
// cannot be sure of that, it reports failure and Decode takes the precise
// path, which then produces the error or the value.
//
// SendRequest's fast path is a hand-written single-pass decoder
// (fastsend.go, over the scanner in scan.go). VisibilityRequest's is one
// decode into a plain shadow struct and one pass over the member names that
// rejects unknown ones; it declines repeated members, since encoding/json
// merges a repeated object into a struct field but the precise path keeps
// the last. FuzzSendDecodeFastMatchesSlow and
// FuzzVisibilityDecodeFastMatchesSlow check this.

// fastDecoder is implemented by documents with a fast path. decodeFast
// reports whether it decoded data; if not, it left the document unchanged.
type fastDecoder interface {
	decodeFast(data []byte) bool
}

var (
	_ fastDecoder = (*SendRequest)(nil)
	_ fastDecoder = (*VisibilityRequest)(nil)
)

// The member names of the documents with fast paths. The shadow-struct
// path decodes without DisallowUnknownFields, which makes
// encoding/json.Decoder copy the input into a growing buffer, and rejects
// unknown members itself.
var (
	messageFields    = []string{"body", "body_base64", "attributes", "tenant", "group_id", "dedup_id", "delay"}
	attributeFields  = []string{"type", "value", "binary"}
	visibilityFields = []string{"receipt", "timeout"}
)

// knownName reports whether the plain member name matches one of fields as
// encoding/json matches names to fields, ignoring ASCII case.
func knownName(name []byte, fields []string) bool {
	for _, f := range fields {
		if asciiEqualFold(name, f) {
			return true
		}
	}
	return false
}

// visibilityDoc is VisibilityRequest without custom decoding.
type visibilityDoc struct {
	Changes []VisibilityChange `json:"changes"`
}

func (r *VisibilityRequest) decodeFast(data []byte) bool {
	var d visibilityDoc
	if json.Unmarshal(data, &d) != nil {
		return false
	}
	changes := 0
	ok := memberNames(data, func(depth, _ int, name []byte) bool {
		switch {
		case !plainName(name):
			return false // might unescape or fold to a field name
		case depth == 3:
			return knownName(name, visibilityFields)
		case depth != 1 || !asciiEqualFold(name, "changes"):
			return false
		}
		changes++
		return changes == 1 // a repeated list would be merged
	})
	if !ok {
		return false
	}
	*r = VisibilityRequest(d)
	return true
}

// maxDepth bounds the nesting memberNames follows; the shadow documents are
// far shallower.
const maxDepth = 16

// memberNames calls visit with the raw (still escaped) name of each member
// of each object in data, which must be well-formed JSON, with the object's
// depth (1 for the top level) and its number in document order. It stops
// and returns false when visit does, or when data nests deeper than
// maxDepth.
func memberNames(data []byte, visit func(depth, object int, name []byte) bool) bool {
	var (
		inObject [maxDepth + 1]bool
		number   [maxDepth + 1]int // of the object at each depth
	)
	depth, objects := 0, 0
	wantName := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			if depth++; depth > maxDepth {
				return false
			}
			inObject[depth] = data[i] == '{'
			wantName = inObject[depth]
			if wantName {
				objects++
				number[depth] = objects
			}
		case '}', ']':
			depth--
			wantName = false
		case ',':
			wantName = inObject[depth]
		case ':':
			wantName = false
		case '"':
			end := stringEnd(data, i+1)
			if end < 0 {
				return false
			}
			if wantName {
				if !visit(depth, number[depth], data[i+1:end]) {
					return false
				}
				wantName = false
			}
			i = end
		}
	}
	return true
}

// stringEnd returns the index of the quote that ends the JSON string whose
// contents start at data[start], or -1.
func stringEnd(data []byte, start int) int {
	for i := start; i < len(data); {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		escapes := 0
		for k := j - 1; k >= start && data[k] == '\\'; k-- {
			escapes++
		}
		if escapes%2 == 0 {
			return j
		}
		i = j + 1
	}
	return -1
}

// plainName reports whether a raw member name is ASCII without escapes, so
// that it means what its bytes say and encoding/json matches it to fields
// by ASCII case folding alone.
func plainName(name []byte) bool {
	for _, c := range name {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// asciiEqualFold reports whether the ASCII name equals the lower-case
// field name ignoring case.
func asciiEqualFold(name []byte, field string) bool {
	if len(name) != len(field) {
		return false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != field[i] {
			return false
		}
	}
	return true
}
