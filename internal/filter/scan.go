package filter

import (
	"encoding/json"
	"strings"
)

// These helpers walk JSON text that json.Valid has accepted, so they trust
// its structure and never fail. Positions are byte offsets into s.

// skipSpace returns the offset of the first non-space byte at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// endOfValue returns the offset just past the value starting at i.
func endOfValue(s string, i int) int {
	switch s[i] {
	case '"':
		return endOfString(s, i)
	case '{', '[':
		depth := 0
		for ; i < len(s); i++ {
			switch s[i] {
			case '"':
				i = endOfString(s, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(s) && strings.IndexByte(",]} \t\r\n", s[i]) < 0 {
		i++
	}
	return i
}

// endOfString returns the offset just past the string whose quote is at i.
func endOfString(s string, i int) int {
	for i++; i < len(s) && s[i] != '"'; i++ {
		if s[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// unquote returns the contents of the JSON string raw, quotes included. It
// allocates only when raw holds escapes.
func unquote(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var str string
	_ = json.Unmarshal([]byte(raw), &str) // raw is valid JSON
	return str
}

// nextElem returns the offset of the next element of an array, given i just
// past the '[' or past the previous element; ok is false at the ']'.
func nextElem(s string, i int) (int, bool) {
	i = skipSpace(s, i)
	if i < len(s) && s[i] == ',' {
		i = skipSpace(s, i+1)
	}
	return i, i < len(s) && s[i] != ']'
}

// lookup returns the offset of the value under key in the object whose '{'
// is at obj. Like encoding/json, it takes the last of duplicate keys.
func lookup(s string, obj int, key string) (int, bool) {
	at, found := 0, false
	i := obj + 1
	for {
		i = skipSpace(s, i)
		if i < len(s) && s[i] == ',' {
			i = skipSpace(s, i+1)
		}
		if i >= len(s) || s[i] != '"' {
			return at, found
		}
		kEnd := endOfString(s, i)
		k := s[i:kEnd]
		v := skipSpace(s, skipSpace(s, kEnd)+1) // past the ':'
		if strings.IndexByte(k, '\\') < 0 {
			if k[1:len(k)-1] == key {
				at, found = v, true
			}
		} else if unquote(k) == key {
			at, found = v, true
		}
		i = endOfValue(s, v)
	}
}

// scalar returns the scalar value starting at i. Objects and arrays come
// back with a zero kind.
func scalar(s string, i int) value {
	switch c := s[i]; c {
	case '"':
		return value{kind: kindString, s: unquote(s[i:endOfString(s, i)])}
	case 't':
		return value{kind: kindBool, b: true}
	case 'f':
		return value{kind: kindBool}
	case 'n':
		return value{kind: kindNull}
	case '{', '[':
		return value{}
	}
	n, ok := parseNumber(s[i:endOfValue(s, i)])
	if !ok {
		return value{}
	}
	return value{kind: kindNumber, n: n}
}
