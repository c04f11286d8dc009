// Package wire defines the JSON documents of Sluice's native HTTP API, shared
// by the server (internal/nativeapi) and the Go client: request and response
// bodies, the error document and the one table that maps errors to codes and
// HTTP statuses.
//
// Field names are snake_case. Durations are Go duration strings ("1m30s") and
// decode from a number of seconds as well; times are RFC 3339 with
// nanoseconds. Request documents are decoded strictly with Decode, which
// reports problems as *sluice.InvalidArgumentError naming the offending field
// with dots and indexes ("messages[2].attributes.color.type"), or as an error
// wrapping ErrMalformedJSON. Response documents carry no such strictness so
// that older clients read newer servers.
//
// Everything here is plain data and pure functions, safe for concurrent use.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
)

// ErrMalformedJSON is wrapped by errors reporting a request body that is not
// exactly one well-formed JSON value.
var ErrMalformedJSON = errors.New("malformed JSON")

// Decode decodes data, which must hold exactly one JSON value, into v,
// rejecting fields v does not have. It returns an error wrapping
// ErrMalformedJSON when data is empty, is not well-formed or has anything but
// white space after the value, and a *sluice.InvalidArgumentError naming the
// field when the value does not fit v: an unknown field, a value of the wrong
// type, a malformed duration. Types in this package that hold lists or maps
// of documents decode each entry with Decode, so their errors name the entry.
func Decode(data []byte, v any) error {
	if f, ok := v.(fastDecoder); ok && f.decodeFast(data) {
		return nil
	}
	return decodeStrict(data, v)
}

// decodeStrict is Decode without fast paths: one strict decode of data
// into v, through v's own UnmarshalJSON if it has one.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return translate(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the JSON value at offset %d", ErrMalformedJSON, dec.InputOffset())
	}
	return nil
}

// translate turns an error from encoding/json into the errors Decode
// promises.
func translate(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		ia     *sluice.InvalidArgumentError
		le     *sluice.LimitError
	)
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the body is empty", ErrMalformedJSON)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: unexpected end of input", ErrMalformedJSON)
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: %v (offset %d)", ErrMalformedJSON, syntax, syntax.Offset)
	case errors.Is(err, ErrMalformedJSON), errors.As(err, &ia), errors.As(err, &le):
		return err // from a nested Decode, already translated
	case errors.As(err, &typ):
		return sluice.Invalid(typ.Field, "must be %s, not %s", describe(typ.Type), typ.Value)
	}
	if name, ok := unknownField(err.Error()); ok {
		return sluice.Invalid(name, "is not a known field")
	}
	return sluice.Invalid("", "%v", err)
}

// unknownField extracts the name from encoding/json's error for a field the
// target lacks, which has no type of its own: `json: unknown field "name"`.
func unknownField(msg string) (string, bool) {
	_, quoted, ok := strings.Cut(msg, "unknown field ")
	if !ok {
		return "", false
	}
	name, err := strconv.Unquote(quoted)
	return name, err == nil
}

var durationType = reflect.TypeFor[Duration]()

// describe names what a value of type t looks like in JSON.
func describe(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	if t == durationType {
		return `a duration such as "1m30s" or a number of seconds`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return describe(t.Elem())
	}
	return "a " + t.String()
}

// decodeList decodes a JSON array of documents one entry at a time so that
// errors name the entry as name[i]. It leaves *list nil for JSON null.
func decodeList[T any](data []byte, name string, list *[]T) error {
	var raw []json.RawMessage
	if err := Decode(data, &raw); err != nil {
		return sluice.WithField(name, err)
	}
	if raw == nil {
		*list = nil
		return nil
	}
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := Decode(r, &out[i]); err != nil {
			return sluice.WithField(fmt.Sprintf("%s[%d]", name, i), err)
		}
	}
	*list = out
	return nil
}
