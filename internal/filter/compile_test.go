package filter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice/internal/filter"
)

func TestCompileRejects(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		scope  filter.Scope
		want   filter.Error
	}{
		// The policy as a whole.
		{"malformed JSON", `{"a": ["x"]`, filter.MessageAttributes, filter.Error{Reason: "Malformed JSON: unexpected EOF"}},
		{"trailing data", `{"a": ["x"]} {}`, filter.MessageAttributes, filter.Error{Reason: "Malformed JSON: unexpected data after the policy object"}},
		{"empty input", ``, filter.MessageAttributes, filter.Error{Reason: "Malformed JSON: unexpected EOF"}},
		{"array at top level", `[{"a": ["x"]}]`, filter.MessageAttributes, filter.Error{Reason: "Filter policy must be a JSON object"}},
		{"string at top level", `"a"`, filter.MessageAttributes, filter.Error{Reason: "Filter policy must be a JSON object"}},
		{"null policy", `null`, filter.MessageAttributes, filter.Error{Reason: "Filter policy must be a JSON object"}},
		{"invalid UTF-8", "{\"a\": [\"\xff\"]}", filter.MessageAttributes, filter.Error{Reason: "Filter policy must be valid UTF-8"}},
		{"duplicate key", `{"a": ["x"], "a": ["y"]}`, filter.MessageAttributes, filter.Error{Path: "a", Reason: `Duplicate key "a"`}},

		// Values users write instead of an array of conditions.
		{"bare string value", `{"store": "example_corp"}`, filter.MessageAttributes, filter.Error{Path: "store", Reason: `"store" must be an object or an array`}},
		{"bare number value", `{"price": 5}`, filter.MessageBody, filter.Error{Path: "price", Reason: `"price" must be an object or an array`}},
		{"bare null value", `{"a": null}`, filter.MessageBody, filter.Error{Path: "a", Reason: `"a" must be an object or an array`}},
		{"operator object instead of array", `{"price": {"numeric": [">", 5]}}`, filter.MessageAttributes, filter.Error{Path: "price", Reason: "Filter policy scope MessageAttributes does not support nested filter policy"}},
		{"nested policy in attribute scope", `{"store": {"city": ["Paris"]}}`, filter.MessageAttributes, filter.Error{Path: "store", Reason: "Filter policy scope MessageAttributes does not support nested filter policy"}},
		{"empty array", `{"a": []}`, filter.MessageAttributes, filter.Error{Path: "a", Reason: "Empty arrays are not allowed"}},
		{"empty nested object", `{"a": {}}`, filter.MessageBody, filter.Error{Path: "a", Reason: "Empty objects are not allowed"}},
		{"array in condition list", `{"a": [["x"]]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Match value must be String, number, true, false, or null"}},

		// Operators.
		{"unknown operator", `{"a": [{"contains": "x"}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Unrecognized match type contains"}},
		{"wildcard is not SNS", `{"a": ["x", {"wildcard": "x*"}]}`, filter.MessageAttributes, filter.Error{Path: "a[1]", Reason: "Unrecognized match type wildcard"}},
		{"two operators in one object", `{"a": [{"prefix": "x", "suffix": "y"}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Only one key allowed in match expression"}},
		{"empty operator object", `{"a": [{}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Only one key allowed in match expression"}},
		{"prefix with a number", `{"a": [{"prefix": 5}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "prefix match pattern must be a string"}},
		{"suffix with a list", `{"a": [{"suffix": ["x"]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "suffix match pattern must be a string"}},
		{"equals-ignore-case with null", `{"a": [{"equals-ignore-case": null}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "equals-ignore-case match pattern must be a string"}},
		{"exists with a string", `{"a": [{"exists": "true"}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "exists match pattern must be either true or false."}},
		{"exists with a number", `{"a": [{"exists": 1}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "exists match pattern must be either true or false."}},

		// anything-but.
		{"anything-but suffix", `{"a": [{"anything-but": {"suffix": "x"}}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Unsupported anything-but pattern: suffix"}},
		{"anything-but mixed list", `{"a": [{"anything-but": ["x", 1]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Inside anything-but list, mixed types are not allowed"}},
		{"anything-but with null in list", `{"a": [{"anything-but": ["x", null]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Inside anything-but list, null is not supported"}},
		{"anything-but empty list", `{"a": [{"anything-but": []}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Empty arrays are not allowed"}},
		{"anything-but boolean", `{"a": [{"anything-but": true}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "anything-but match pattern must be a string, number, list or object, not true"}},
		{"anything-but prefix number", `{"a": [{"anything-but": {"prefix": 1}}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "prefix match pattern must be a string"}},

		// numeric.
		{"numeric with a quoted number", `{"a": [{"numeric": [">", "5"]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of > must be numeric"}},
		{"numeric equals quoted", `{"a": [{"numeric": ["=", "5"]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of equals must be numeric"}},
		{"numeric missing value", `{"a": [{"numeric": [">"]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of > must be numeric"}},
		{"numeric not an array", `{"a": [{"numeric": 5}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of numeric must be an array."}},
		{"numeric empty", `{"a": [{"numeric": []}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of numeric must be an array."}},
		{"numeric unknown operator", `{"a": [{"numeric": ["!=", 5]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Unrecognized numeric range operator: !="}},
		{"numeric operand first", `{"a": [{"numeric": [5, ">"]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Invalid member in numeric match: number 5"}},
		{"numeric reversed range", `{"a": [{"numeric": [">", 10, "<", 5]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Bottom must be less than top"}},
		{"numeric empty range", `{"a": [{"numeric": [">=", 5, "<=", 5]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Bottom must be less than top"}},
		{"numeric range equal to five places", `{"a": [{"numeric": [">", 1, "<", 1.000001]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Bottom must be less than top"}},
		{"numeric range upside down", `{"a": [{"numeric": ["<", 10, ">", 5]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Too many elements in numeric expression"}},
		{"numeric range wrong upper operator", `{"a": [{"numeric": [">", 1, ">", 5]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Bad numeric range operator: >"}},
		{"numeric range missing top", `{"a": [{"numeric": [">", 1, "<"]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of < must be numeric"}},
		{"numeric too many terms", `{"a": [{"numeric": [">", 1, "<", 5, "<", 6]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Too many terms in numeric range expression"}},
		{"numeric beyond 10^9", `{"a": [{"numeric": [">", 1000000001]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of > must be between -1000000000 and 1000000000, not 1000000001"}},
		{"numeric below -10^9", `{"a": [{"numeric": ["<", -1e10]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Value of < must be between -1000000000 and 1000000000, not -1e10"}},
		{"number beyond float64", `{"a": [1e400]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Number 1e400 is out of range"}},
		{"anything-but number beyond float64", `{"a": [{"anything-but": [-1e999]}]}`, filter.MessageAttributes, filter.Error{Path: "a[0]", Reason: "Number -1e999 is out of range"}},

		// cidr.
		{"cidr without mask", `{"ip": [{"cidr": "10.0.0.1"}]}`, filter.MessageAttributes, filter.Error{Path: "ip[0]", Reason: "Malformed CIDR, one '/' required"}},
		{"cidr with text mask", `{"ip": [{"cidr": "10.0.0.0/x"}]}`, filter.MessageAttributes, filter.Error{Path: "ip[0]", Reason: "Malformed CIDR, mask bits must be an integer"}},
		{"cidr bad address", `{"ip": [{"cidr": "10.0.0.300/24"}]}`, filter.MessageAttributes, filter.Error{Path: "ip[0]", Reason: "Nonstandard IP address: 10.0.0.300"}},
		{"cidr mask too long", `{"ip": [{"cidr": "10.0.0.0/33"}]}`, filter.MessageAttributes, filter.Error{Path: "ip[0]", Reason: "Nonstandard IP address: 10.0.0.0"}},
		{"cidr number", `{"ip": [{"cidr": 10}]}`, filter.MessageAttributes, filter.Error{Path: "ip[0]", Reason: "cidr match pattern must be a string"}},

		// $or.
		{"$or with one branch is a key", `{"$or": [{"a": ["x"]}]}`, filter.MessageAttributes, filter.Error{Path: "$or[0]", Reason: "Unrecognized match type a"}},
		{"$or with an empty branch", `{"$or": [{"a": ["x"]}, {}]}`, filter.MessageAttributes, filter.Error{Path: "$or[1]", Reason: "Empty objects are not allowed"}},
		{"error inside $or names the branch", `{"store": {"$or": [{"city": ["Paris"]}, {"price": [{"numeric": [">", "5"]}]}]}}`, filter.MessageBody, filter.Error{Path: "store.$or[1].price[0]", Reason: "Value of > must be numeric"}},
		{"nested $or in attribute scope", `{"$or": [{"a": ["x"]}, {"b": {"c": ["y"]}}]}`, filter.MessageAttributes, filter.Error{Path: "$or[1].b", Reason: "Filter policy scope MessageAttributes does not support nested filter policy"}},

		// Limits.
		{"six keys", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]}`, filter.MessageAttributes, filter.Error{Reason: "Filter policy can not have more than 5 keys"}},
		{"six keys through $or", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "$or": [{"e": ["1"]}, {"f": ["1"], "g": ["1"]}]}`, filter.MessageAttributes, filter.Error{Reason: "Filter policy can not have more than 5 keys"}},
		{"151 combinations", `{"a": [` + values(151) + `]}`, filter.MessageAttributes, filter.Error{Reason: "Filter policy is too complex"}},
		{"product over 150", `{"a": [` + values(13) + `], "b": [` + values(12) + `]}`, filter.MessageAttributes, filter.Error{Reason: "Filter policy is too complex"}},
		{"sum over $or branches over 150", `{"$or": [{"a": [` + values(100) + `]}, {"b": [` + values(51) + `]}]}`, filter.MessageAttributes, filter.Error{Reason: "Filter policy is too complex"}},
		{"nesting multiplies", `{"a": {"b": {"c": [` + values(51) + `]}}}`, filter.MessageBody, filter.Error{Reason: "Filter policy is too complex"}},
		{"too large", `{"a": ["` + strings.Repeat("x", filter.MaxPolicySize) + `"]}`, filter.MessageAttributes, filter.Error{Reason: fmt.Sprintf("Filter policy is too large: %d bytes, the limit is %d", filter.MaxPolicySize+11, filter.MaxPolicySize)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := filter.Compile([]byte(tt.policy), tt.scope)
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Compile() = %v, %v; want *filter.Error", p, err)
			}
			if diff := cmp.Diff(tt.want, *fe, cmp.AllowUnexported(filter.Error{})); diff != "" {
				t.Errorf("Compile() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// values returns n distinct JSON strings, comma-separated.
func values(n int) string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = fmt.Sprintf(`"v%d"`, i)
	}
	return strings.Join(vs, ",")
}

func TestCompileAcceptsLimits(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		scope  filter.Scope
	}{
		{"five keys", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]}`, filter.MessageAttributes},
		{"five keys in each $or branch", `{"a": ["1"], "b": ["1"], "c": ["1"], "$or": [{"d": ["1"], "e": ["1"]}, {"f": ["1"], "g": ["1"]}]}`, filter.MessageAttributes},
		{"nested keys count as their parent", `{"a": {"b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"], "g": ["1"]}}`, filter.MessageBody},
		{"150 combinations", `{"a": [` + values(15) + `], "b": [` + values(10) + `]}`, filter.MessageAttributes},
		{"constraints page example: 72", `{"key_a": {"key_b": {"key_c": ["v1", "v2", "v3", "v4"]}}, "key_d": {"key_e": ["v1", "v2", "v3"]}}`, filter.MessageBody},
		{"and-or page example: 32", `{"$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}], "detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}`, filter.MessageBody},
		{"nesting at 150", `{"a": {"b": {"c": [` + values(50) + `]}}}`, filter.MessageBody},
		{"sum over $or at 150", `{"$or": [{"a": [` + values(100) + `]}, {"b": [` + values(50) + `]}]}`, filter.MessageAttributes},
		{"bare number beyond 10^9", `{"a": [5e12]}`, filter.MessageAttributes},
		{"numeric at the bounds", `{"a": [{"numeric": [">=", -1e9, "<=", 1000000000]}]}`, filter.MessageAttributes},
		{"empty policy", `{}`, filter.MessageBody},
		// SNS reads this as a nested property named "numeric", not an operator.
		{"operator object instead of array in body scope", `{"price": {"numeric": [">", 5]}}`, filter.MessageBody},
		{"empty prefix", `{"a": [{"prefix": ""}]}`, filter.MessageAttributes},
		{"null in attribute scope", `{"a": [null]}`, filter.MessageAttributes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := filter.Compile([]byte(tt.policy), tt.scope); err != nil {
				t.Errorf("Compile() = %v, want nil", err)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := filter.Compile([]byte(`{"a": [{"contains": "x"}]}`), filter.MessageAttributes)
	want := "Invalid parameter: FilterPolicy: Unrecognized match type contains (at a[0])"
	if err == nil || err.Error() != want {
		t.Errorf("Compile() error = %v, want %q", err, want)
	}
	_, err = filter.Compile([]byte(`{"a": ["x"], "b": ["x"], "c": ["x"], "d": ["x"], "e": ["x"], "f": ["x"]}`), filter.MessageAttributes)
	want = "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"
	if err == nil || err.Error() != want {
		t.Errorf("Compile() error = %v, want %q", err, want)
	}
}

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		want    filter.Scope
		wantErr string
	}{
		{"", filter.MessageAttributes, ""},
		{"MessageAttributes", filter.MessageAttributes, ""},
		{"MessageBody", filter.MessageBody, ""},
		{"messagebody", 0, "Invalid parameter: FilterPolicyScope: Invalid value [messagebody]. Please use either MessageBody or MessageAttributes"},
	}
	for _, tt := range tests {
		got, err := filter.ParseScope(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseScope(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseScope(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if err == nil && tt.in != "" && got.String() != tt.in {
			t.Errorf("ParseScope(%q).String() = %q", tt.in, got.String())
		}
	}
	if _, err := filter.Compile([]byte(`{}`), filter.Scope(7)); err == nil {
		t.Error("Compile() with Scope(7) = nil error, want one")
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		policy string
		scope  filter.Scope
		want   string
	}{
		{`{ "b" : [ "x", 1.50, true, null ], "a": [{"prefix": "p"}] }`, filter.MessageAttributes,
			`{"a":[{"prefix":"p"}],"b":["x",1.50,true,null]}`},
		{`{"a": [{"anything-but": "x"}, {"anything-but": 5}, {"anything-but": {"prefix": "q"}}]}`, filter.MessageAttributes,
			`{"a":[{"anything-but":["x"]},{"anything-but":[5]},{"anything-but":{"prefix":"q"}}]}`},
		{`{"ip": [{"cidr": "10.1.2.3/8"}, {"cidr": "2001:DB8::/32"}], "n": [{"numeric": [">", 0, "<=", 1e3]}]}`, filter.MessageAttributes,
			`{"ip":[{"cidr":"10.0.0.0/8"},{"cidr":"2001:db8::/32"}],"n":[{"numeric":[">",0,"<=",1e3]}]}`},
		{`{"z": {"y": [{"exists": false}]}, "$or": [{"b": ["\u00e9\n\"<>"]}, {"a": [{"suffix": "s"}, {"equals-ignore-case": "E"}]}]}`, filter.MessageBody,
			`{"$or":[{"b":["é\n\"<>"]},{"a":[{"suffix":"s"},{"equals-ignore-case":"E"}]}],"z":{"y":[{"exists":false}]}}`},
	}
	for _, tt := range tests {
		p := mustCompile(t, tt.policy, tt.scope)
		if got := p.String(); got != tt.want {
			t.Errorf("Compile(%s).String() = %s, want %s", tt.policy, got, tt.want)
		}
		if got := mustCompile(t, p.String(), tt.scope).String(); got != tt.want {
			t.Errorf("recompiled String() = %s, want %s", got, tt.want)
		}
		if p.Scope() != tt.scope {
			t.Errorf("Scope() = %v, want %v", p.Scope(), tt.scope)
		}
	}
}
