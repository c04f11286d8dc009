package awswire

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Values cross the Query protocol by the `query` struct tag of their
// fields, which mirrors the `json` tag used for AWS JSON 1.0:
//
//	query:"Name"                          a scalar or struct: Name, Name.Field
//	query:"Name,flat"                     a list: Name.1, Name.2 (SQS)
//	query:"Name"                          a list: Name.member.1 (SNS, the default)
//	query:"Name,flat,key=Name,value=Value" a map: Name.1.Name, Name.1.Value (SQS)
//	query:"Name,key=key,value=value"      a map: Name.entry.1.key (SNS, the default)
//
// An empty name is the field's name; "-" skips the field. The same tags
// give the element names of Query XML responses. A field whose `json` tag
// says omitempty is left out of XML when it is zero, as JSON leaves it.

// fieldInfo is how one struct field crosses the Query protocol.
type fieldInfo struct {
	index     int
	name      string
	flat      bool
	key, val  string
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func fieldsOf(t reflect.Type) []fieldInfo {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]fieldInfo)
	}
	var fs []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("query")
		if tag == "-" {
			continue
		}
		f := fieldInfo{index: i, name: sf.Name, key: "key", val: "value"}
		parts := strings.Split(tag, ",")
		if parts[0] != "" {
			f.name = parts[0]
		}
		for _, p := range parts[1:] {
			switch {
			case p == "flat":
				f.flat = true
			case strings.HasPrefix(p, "key="):
				f.key = p[len("key="):]
			case strings.HasPrefix(p, "value="):
				f.val = p[len("value="):]
			}
		}
		_, jopts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		f.omitEmpty = strings.Contains(jopts, "omitempty")
		fs = append(fs, f)
	}
	fieldCache.Store(t, fs)
	return fs
}

// maxQueryEntries bounds the entries of one list or map in a Query request.
const maxQueryEntries = 1000

// QueryError reports a Query parameter that could not be decoded.
type QueryError struct {
	Param, Value, Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("value %s for parameter %s is invalid: %s", quote(e.Value), e.Param, e.Reason)
}

// DecodeQuery sets the fields of the struct v points to from a Query
// request's parameters, following the fields' `query` tags. Parameters no
// field names are ignored. It returns a *QueryError for a value that does
// not fit its field.
func DecodeQuery(form url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awswire: DecodeQuery needs a pointer to a struct, not %T", v)
	}
	d := queryDecoder{form: form, keys: make([]string, 0, len(form))}
	for k := range form {
		d.keys = append(d.keys, k)
	}
	slices.Sort(d.keys)
	return d.structure("", rv.Elem())
}

type queryDecoder struct {
	form url.Values
	keys []string // sorted
}

// has reports whether any parameter starts with prefix.
func (d *queryDecoder) has(prefix string) bool {
	i, _ := slices.BinarySearch(d.keys, prefix)
	return i < len(d.keys) && strings.HasPrefix(d.keys[i], prefix)
}

// indexes returns the distinct numbers N of parameters "prefix N[.…]", sorted.
func (d *queryDecoder) indexes(prefix string) ([]int, error) {
	var out []int
	i, _ := slices.BinarySearch(d.keys, prefix)
	for ; i < len(d.keys) && strings.HasPrefix(d.keys[i], prefix); i++ {
		rest := d.keys[i][len(prefix):]
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || num[0] == '0' {
			return nil, &QueryError{Param: d.keys[i], Value: d.form.Get(d.keys[i]), Reason: "the list index " + quote(num) + " is not a positive integer"}
		}
		if !slices.Contains(out, n) {
			if len(out) == maxQueryEntries {
				return nil, &QueryError{Param: prefix[:len(prefix)-1], Value: "…", Reason: fmt.Sprintf("more than %d entries", maxQueryEntries)}
			}
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (d *queryDecoder) structure(prefix string, v reflect.Value) error {
	for _, f := range fieldsOf(v.Type()) {
		if err := d.value(prefix+f.name, f, v.Field(f.index)); err != nil {
			return err
		}
	}
	return nil
}

// value decodes the parameter(s) at key into v, as field f says.
func (d *queryDecoder) value(key string, f fieldInfo, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !d.has(key) {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := d.value(key, f, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return d.structure(key+".", v)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break // []byte: a base64 scalar
		}
		prefix := key + "."
		if !f.flat {
			prefix += "member."
		}
		idx, err := d.indexes(prefix)
		if err != nil || len(idx) == 0 {
			return err
		}
		s := reflect.MakeSlice(v.Type(), len(idx), len(idx))
		for i, n := range idx {
			if err := d.value(prefix+strconv.Itoa(n), fieldInfo{flat: f.flat}, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		prefix := key + "."
		if !f.flat {
			prefix += "entry."
		}
		idx, err := d.indexes(prefix)
		if err != nil || len(idx) == 0 {
			return err
		}
		m := reflect.MakeMapWithSize(v.Type(), len(idx))
		for _, n := range idx {
			entry := prefix + strconv.Itoa(n) + "."
			k := reflect.New(v.Type().Key()).Elem()
			if err := d.value(entry+f.key, fieldInfo{}, k); err != nil {
				return err
			}
			if _, ok := d.form[entry+f.key]; !ok {
				return &QueryError{Param: entry + f.key, Reason: "the map entry has no " + f.key}
			}
			val := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(entry+f.val, fieldInfo{}, val); err != nil {
				return err
			}
			m.SetMapIndex(k, val)
		}
		v.Set(m)
		return nil
	}
	vals, ok := d.form[key]
	if !ok || len(vals) == 0 {
		return nil
	}
	s := vals[0]
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return &QueryError{Param: key, Value: s, Reason: "not an integer"}
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return &QueryError{Param: key, Value: s, Reason: "not a boolean"}
		}
		v.SetBool(b)
	case reflect.Slice: // []byte
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return &QueryError{Param: key, Value: s, Reason: "not base64"}
		}
		v.SetBytes(b)
	default:
		return fmt.Errorf("awswire: cannot decode Query parameter %s into %s", key, v.Type())
	}
	return nil
}

// EncodeXML writes v's fields as Query XML elements named by their
// `query` tags (see DecodeQuery), without an enclosing element.
func EncodeXML(w io.Writer, v any) error {
	var b strings.Builder
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("awswire: EncodeXML needs a struct, not %T", v)
	}
	if err := encodeFields(&b, rv); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func encodeFields(b *strings.Builder, v reflect.Value) error {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if f.omitEmpty && fv.IsZero() || (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice) && fv.IsNil() {
			continue
		}
		if err := encodeValue(b, f.name, f, fv); err != nil {
			return err
		}
	}
	return nil
}

func encodeValue(b *strings.Builder, name string, f fieldInfo, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return encodeValue(b, name, f, v.Elem())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			element(b, name, base64.StdEncoding.EncodeToString(v.Bytes()))
			return nil
		}
		item := name
		if !f.flat {
			b.WriteString("<" + name + ">")
			item = "member"
		}
		for i := range v.Len() {
			if err := encodeValue(b, item, fieldInfo{}, v.Index(i)); err != nil {
				return err
			}
		}
		if !f.flat {
			b.WriteString("</" + name + ">")
		}
		return nil
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		entry := name
		if !f.flat {
			b.WriteString("<" + name + ">")
			entry = "entry"
		}
		for _, k := range keys {
			b.WriteString("<" + entry + ">")
			element(b, f.key, k.String())
			if err := encodeValue(b, f.val, fieldInfo{}, v.MapIndex(k)); err != nil {
				return err
			}
			b.WriteString("</" + entry + ">")
		}
		if !f.flat {
			b.WriteString("</" + name + ">")
		}
		return nil
	case reflect.Struct:
		b.WriteString("<" + name + ">")
		if err := encodeFields(b, v); err != nil {
			return err
		}
		b.WriteString("</" + name + ">")
		return nil
	case reflect.String:
		element(b, name, v.String())
	case reflect.Int, reflect.Int32, reflect.Int64:
		element(b, name, strconv.FormatInt(v.Int(), 10))
	case reflect.Bool:
		element(b, name, strconv.FormatBool(v.Bool()))
	default:
		return fmt.Errorf("awswire: cannot encode %s as Query XML", v.Type())
	}
	return nil
}

func element(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	escapeXML(b, text)
	b.WriteString("</" + name + ">")
}

// escapeXML writes s as XML character data. Characters XML cannot carry
// become U+FFFD.
func escapeXML(b *strings.Builder, s string) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b.WriteString(s)
		return
	}
	xml.EscapeText(b, []byte(s)) // a strings.Builder never fails
}
