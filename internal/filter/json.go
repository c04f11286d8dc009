package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxNesting bounds how deeply a policy's objects and arrays may nest. A
// nested key's combinations grow with its depth, so a policy deeper than this
// would fail the combination limit anyway; the bound only keeps the decoder's
// recursion small.
const maxNesting = 64

// object is a JSON object from a policy, its keys in document order so that
// errors name the first problem a reader would find.
type object struct {
	keys []string
	vals []any
}

// decodePolicy parses data into *object, []any, string, json.Number, bool
// and nil values. It rejects invalid UTF-8, duplicate keys, trailing data and
// nesting deeper than maxNesting.
func decodePolicy(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, &Error{Reason: "Filter policy must be valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Reason: "Malformed JSON: unexpected data after the policy object"}
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxNesting {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("Filter policy nests deeper than %d levels", maxNesting)}
	}
	switch d {
	case '{':
		obj := &object{}
		seen := make(map[string]bool)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, malformed(err)
			}
			key := tok.(string) // the decoder only yields string keys
			kp := joinKey(path, key)
			if seen[key] {
				return nil, &Error{Path: kp, Reason: fmt.Sprintf("Duplicate key %q", key)}
			}
			seen[key] = true
			v, err := decodeValue(dec, kp, depth+1)
			if err != nil {
				return nil, err
			}
			obj.keys = append(obj.keys, key)
			obj.vals = append(obj.vals, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, malformed(err)
		}
		return obj, nil
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, fmt.Sprintf("%s[%d]", path, len(arr)), depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, malformed(err)
		}
		return arr, nil
	}
	return nil, &Error{Path: path, Reason: fmt.Sprintf("Malformed JSON: unexpected %v", d)}
}

func malformed(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &Error{Reason: "Malformed JSON: " + err.Error()}
}

// joinKey returns the path of key inside the object at path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// appendString appends s to b as a JSON string. It escapes only what JSON
// requires, so policies read back as they were written.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
