package filter_test

import (
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/filter"
)

type attrs = map[string]filter.Attribute

func str(v string) filter.Attribute { return filter.Attribute{Type: "String", Value: v} }
func num(v string) filter.Attribute { return filter.Attribute{Type: "Number", Value: v} }
func arr(v string) filter.Attribute { return filter.Attribute{Type: "String.Array", Value: v} }
func bin() filter.Attribute         { return filter.Attribute{Type: "Binary", Value: "AAEC"} }

// mustCompile compiles policy in scope, failing the test if it is invalid.
func mustCompile(t testing.TB, policy string, scope filter.Scope) *filter.Policy {
	t.Helper()
	p, err := filter.Compile([]byte(policy), scope)
	if err != nil {
		t.Fatalf("Compile(%s) = %v", policy, err)
	}
	return p
}

func TestMatchAttributes(t *testing.T) {
	type input struct {
		attrs attrs
		want  bool
	}
	tests := []struct {
		name   string
		policy string
		inputs []input
	}{
		{"exact string", `{"color": ["red", "blue"]}`, []input{
			{attrs{"color": str("red")}, true},
			{attrs{"color": str("blue")}, true},
			{attrs{"color": str("Red")}, false}, // case-sensitive
			{attrs{"color": str("green")}, false},
			{attrs{"colour": str("red")}, false},
			{attrs{}, false},
			{nil, false},
		}},
		{"empty string", `{"tag": [""]}`, []input{
			{attrs{"tag": str("")}, true},
			{attrs{"tag": str(" ")}, false},
			{attrs{}, false},
		}},
		{"unicode", `{"city": ["Zürich", {"prefix": "東京"}]}`, []input{
			{attrs{"city": str("Zürich")}, true},
			{attrs{"city": str("Zu\u0308rich")}, false}, // no normalisation
			{attrs{"city": str("東京都")}, true},
		}},
		{"custom string type", `{"id": ["abc"]}`, []input{
			{attrs{"id": {Type: "String.uuid", Value: "abc"}}, true},
		}},
		{"string does not match a Number attribute", `{"n": ["5"]}`, []input{
			{attrs{"n": num("5")}, false},
			{attrs{"n": str("5")}, true},
		}},
		{"number equality across representations", `{"price": [300]}`, []input{
			{attrs{"price": num("300")}, true},
			{attrs{"price": num("300.0")}, true},
			{attrs{"price": num("3e2")}, true},
			{attrs{"price": num("3.00E+2")}, true},
			{attrs{"price": num("300.000001")}, true}, // five places
			{attrs{"price": num("300.0001")}, false},
			{attrs{"price": {Type: "Number.float", Value: "300"}}, true},
			{attrs{"price": str("300")}, false}, // a string is not a number
			{attrs{"price": num("abc")}, false},
			{attrs{"price": arr(`[1, 300]`)}, true},
		}},
		{"numeric equals", `{"p": [{"numeric": ["=", 301.5]}]}`, []input{
			{attrs{"p": num("301.5")}, true},
			{attrs{"p": num("3.015e2")}, true},
			{attrs{"p": num("301.50001")}, false},
			{attrs{"p": str("301.5")}, false},
		}},
		{"numeric range", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, []input{
			{attrs{"p": num("0")}, false},
			{attrs{"p": num("0.00001")}, true},
			{attrs{"p": num("150")}, true},
			{attrs{"p": num("150.00001")}, false},
			{attrs{"p": num("-1")}, false},
			{attrs{"p": num("5e9")}, false},
		}},
		{"numeric open ranges", `{"p": [{"numeric": ["<", 0]}, {"numeric": [">=", 1000]}]}`, []input{
			{attrs{"p": num("-0.5")}, true},
			{attrs{"p": num("0")}, false},
			{attrs{"p": num("1000")}, true},
			{attrs{"p": num("2e12")}, true}, // beyond ±10^9 still compares
			{attrs{"p": num("-2e12")}, true},
		}},
		{"prefix", `{"c": [{"prefix": "bas"}]}`, []input{
			{attrs{"c": str("baseball")}, true},
			{attrs{"c": str("bas")}, true},
			{attrs{"c": str("Baseball")}, false},
			{attrs{"c": str("rugby")}, false},
		}},
		{"suffix", `{"f": [{"suffix": ".png"}]}`, []input{
			{attrs{"f": str("cat.png")}, true},
			{attrs{"f": str("cat.PNG")}, false},
			{attrs{"f": str("cat.png.zip")}, false},
		}},
		{"equals-ignore-case", `{"n": [{"equals-ignore-case": "ÉCOLE"}]}`, []input{
			{attrs{"n": str("école")}, true},
			{attrs{"n": str("Ecole")}, false},
		}},
		{"anything-but string list", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, []input{
			{attrs{"c": str("baseball")}, true},
			{attrs{"c": str("rugby")}, false},
			{attrs{"c": str("")}, true},
			{attrs{}, false}, // absent: no value to compare
			{attrs{"c": num("5")}, true},
			{attrs{"c": bin()}, false},
		}},
		{"anything-but scalar", `{"c": [{"anything-but": "rugby"}]}`, []input{
			{attrs{"c": str("tennis")}, true},
			{attrs{"c": str("rugby")}, false},
		}},
		{"anything-but numbers", `{"price": [{"anything-but": [100, 500]}]}`, []input{
			{attrs{"price": num("101")}, true},
			{attrs{"price": num("100.1")}, true},
			{attrs{"price": num("100")}, false},
			{attrs{"price": num("1e2")}, false},
			{attrs{"price": num("500.0")}, false},
			{attrs{"price": str("100")}, true}, // the string "100" is not the number 100
		}},
		{"anything-but prefix", `{"event": [{"anything-but": {"prefix": "order-"}}]}`, []input{
			{attrs{"event": str("data-entry")}, true},
			{attrs{"event": str("order_number")}, true},
			{attrs{"event": str("order-cancelled")}, false},
		}},
		{"anything-but or absent", `{"c": [{"anything-but": "x"}, {"exists": false}]}`, []input{
			{attrs{}, true},
			{attrs{"c": str("y")}, true},
			{attrs{"c": str("x")}, false},
		}},
		{"String.Array", `{"interests": ["rugby", "tennis"]}`, []input{
			{attrs{"interests": arr(`["rugby", "football"]`)}, true},
			{attrs{"interests": arr(`["baseball"]`)}, false},
			{attrs{"interests": arr(`[]`)}, false},
			{attrs{"interests": arr(`["rug\u0062y"]`)}, true}, // escapes
			{attrs{"interests": arr(`[["rugby"], {"a": "rugby"}]`)}, false},
			{attrs{"interests": arr(`not json`)}, false},
			{attrs{"interests": arr(`["rugby"`)}, false},
			{attrs{"interests": str(`["rugby"]`)}, false},
		}},
		{"String.Array prefix", `{"i": [{"prefix": "bas"}]}`, []input{
			{attrs{"i": arr(` [ "rugby" , "basketball" ] `)}, true},
		}},
		{"String.Array literals", `{"i": [true, null, 7]}`, []input{
			{attrs{"i": arr(`[false, true]`)}, true},
			{attrs{"i": arr(`[null]`)}, true},
			{attrs{"i": arr(`[7.0]`)}, true},
			{attrs{"i": arr(`["true", "null", "7"]`)}, false},
		}},
		{"String.Array anything-but needs every element allowed", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, []input{
			{attrs{"c": arr(`["baseball", "football"]`)}, true},
			{attrs{"c": arr(`["rugby", "baseball"]`)}, false},
			{attrs{"c": arr(`[]`)}, false},
		}},
		{"String.Array numeric", `{"n": [{"numeric": [">", 10]}]}`, []input{
			{attrs{"n": arr(`[1, 2, 30]`)}, true},
			{attrs{"n": arr(`[1, "30"]`)}, false},
		}},
		{"exists true", `{"store": [{"exists": true}]}`, []input{
			{attrs{"store": str("fans")}, true},
			{attrs{"store": str("")}, true},
			{attrs{"store": num("1")}, true},
			{attrs{"store": bin()}, true},
			{attrs{"other": str("fans")}, false},
		}},
		{"exists false", `{"store": [{"exists": false}]}`, []input{
			{attrs{}, true},
			{attrs{"other": str("x")}, true},
			{attrs{"store": str("fans")}, false},
			{attrs{"store": num("1")}, false}, // an attribute of another type is still there
			{attrs{"store": bin()}, false},
		}},
		{"Binary never matches a value", `{"b": ["AAEC", {"prefix": "A"}]}`, []input{
			{attrs{"b": bin()}, false},
		}},
		{"cidr IPv4", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, []input{
			{attrs{"ip": str("10.0.0.0")}, true},
			{attrs{"ip": str("10.0.0.255")}, true},
			{attrs{"ip": str("10.1.1.0")}, false},
			{attrs{"ip": str("::ffff:10.0.0.7")}, true},
			{attrs{"ip": str("10.0.0.1/32")}, false},
			{attrs{"ip": str("not an ip")}, false},
			{attrs{"ip": str("010.0.0.1")}, false},
		}},
		{"cidr IPv6", `{"ip": [{"cidr": "2001:db8::/32"}]}`, []input{
			{attrs{"ip": str("2001:db8::1")}, true},
			{attrs{"ip": str("2001:DB8:FFFF::")}, true},
			{attrs{"ip": str("2001:db9::1")}, false},
			{attrs{"ip": str("10.0.0.1")}, false},
		}},
		{"AND of keys", `{"a": ["1"], "b": [{"numeric": [">", 1]}], "c": [{"exists": false}]}`, []input{
			{attrs{"a": str("1"), "b": num("2")}, true},
			{attrs{"a": str("1"), "b": num("2"), "c": str("")}, false},
			{attrs{"a": str("1")}, false},
			{attrs{"b": num("2")}, false},
		}},
		{"$or at top level", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`, []input{
			{attrs{"source": str("aws.cloudwatch"), "metricName": str("CPUUtilization")}, true},
			{attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/EC2")}, true},
			{attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/ES")}, false},
			{attrs{"metricName": str("CPUUtilization")}, false},
		}},
		{"$or nested in $or", `{"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": ["3"]}, {"d": ["4"]}]}]}`, []input{
			{attrs{"a": str("1")}, true},
			{attrs{"b": str("2"), "d": str("4")}, true},
			{attrs{"b": str("2")}, false},
			{attrs{"d": str("4")}, false},
		}},
		{"$or of conditions is a key named $or", `{"$or": [{"prefix": "a"}, {"suffix": "z"}]}`, []input{
			{attrs{"$or": str("abc")}, true},
			{attrs{"$or": str("xyz")}, true},
			{attrs{"$or": str("m")}, false},
		}},
		{"empty policy matches everything", `{}`, []input{
			{attrs{}, true},
			{attrs{"a": str("b")}, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.policy, filter.MessageAttributes)
			for _, in := range tt.inputs {
				if got := p.MatchAttributes(in.attrs); got != in.want {
					t.Errorf("MatchAttributes(%v) = %v, want %v", in.attrs, got, in.want)
				}
				if got := p.Match(in.attrs, nil); got != in.want {
					t.Errorf("Match(%v, nil) = %v, want %v", in.attrs, got, in.want)
				}
			}
		})
	}
}

func TestMatchBody(t *testing.T) {
	type input struct {
		body string
		want bool
	}
	tests := []struct {
		name   string
		policy string
		inputs []input
	}{
		{"exact string", `{"c": ["rugby"]}`, []input{
			{`{"c": "rugby"}`, true},
			{`{"c": "Rugby"}`, false},
			{`{"c": ["tennis", "rugby"]}`, true},
			{`{"c": [["rugby"]]}`, true},
			{`{"c": {"rugby": 1}}`, false},
			{`{"c": 5}`, false},
			{`{}`, false},
		}},
		{"body must be a JSON object", `{"c": ["rugby"]}`, []input{
			{`["rugby"]`, false},
			{`"rugby"`, false},
			{`null`, false},
			{``, false},
			{`{"c": "rugby"} trailing`, false},
			{`{"c": "rugby"`, false},
			{`{"c": "rugby"}` + "\n", true},
		}},
		{"numbers across representations", `{"price": [300]}`, []input{
			{`{"price": 300}`, true},
			{`{"price": 300.0}`, true},
			{`{"price": 3e2}`, true},
			{`{"price": "300"}`, false},
			{`{"price": [1, 3E+2]}`, true},
		}},
		{"null, true and false", `{"a": [null], "b": [false]}`, []input{
			{`{"a": null, "b": false}`, true},
			{`{"a": "null", "b": false}`, false},
			{`{"b": false}`, false}, // absent is not null
			{`{"a": null, "b": 0}`, false},
		}},
		{"numeric", `{"p": [{"numeric": [">=", -5.5, "<", 10]}]}`, []input{
			{`{"p": -5.5}`, true},
			{`{"p": 9.99999}`, true},
			{`{"p": 10}`, false},
			{`{"p": "5"}`, false},
			{`{"p": [20, 5]}`, true},
		}},
		{"prefix suffix and equals-ignore-case", `{"a": [{"prefix": "x"}], "b": [{"suffix": "y"}], "c": [{"equals-ignore-case": "Z"}]}`, []input{
			{`{"a": "xa", "b": "by", "c": "z"}`, true},
			{`{"a": "ax", "b": "by", "c": "z"}`, false},
			{`{"a": "xa", "b": "yb", "c": "z"}`, false},
			{`{"a": "xa", "b": "by", "c": "zz"}`, false},
		}},
		{"anything-but numbers", `{"price": [{"anything-but": [100, 500]}]}`, []input{
			{`{"price": 101}`, true},
			{`{"price": 1e2}`, false},
			{`{"price": [100, 50]}`, true}, // an element that is neither
			{`{"price": null}`, true},
			{`{}`, false},
		}},
		{"anything-but strings in an array", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, []input{
			{`{"c": ["rugby", "baseball"]}`, true},
			{`{"c": ["rugby"]}`, false},
			{`{"c": []}`, false},
		}},
		{"exists", `{"store": [{"exists": true}], "gone": [{"exists": false}]}`, []input{
			{`{"store": "fans"}`, true},
			{`{"store": null}`, true},
			{`{"store": 0}`, true},
			{`{"store": "fans", "gone": 1}`, false},
			{`{"store": "fans", "gone": {}}`, true}, // an object is not a value
			{`{"store": "fans", "gone": []}`, true}, // nor is an empty array
			{`{"store": {"a": 1}}`, false},
			{`{"gone": 1}`, false},
		}},
		{"cidr", `{"ip": [{"cidr": "192.168.0.0/16"}, {"cidr": "fd00::/8"}]}`, []input{
			{`{"ip": "192.168.4.1"}`, true},
			{`{"ip": "fd12::1"}`, true},
			{`{"ip": "192.169.0.1"}`, false},
			{`{"ip": 192}`, false},
		}},
		{"nested keys", `{"store": {"city": ["Paris"], "size": [{"numeric": [">", 10]}]}}`, []input{
			{`{"store": {"city": "Paris", "size": 11}}`, true},
			{`{"store": {"city": "Paris", "size": 9}}`, false},
			{`{"store": {"city": "Paris"}}`, false},
			{`{"store": "Paris"}`, false},
			{`{"city": "Paris", "size": 11}`, false},
		}},
		{"arrays of objects match element by element", `{"items": {"sku": ["A"], "qty": [{"numeric": [">", 1]}]}}`, []input{
			{`{"items": [{"sku": "B", "qty": 5}, {"sku": "A", "qty": 2}]}`, true},
			{`{"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 5}]}`, false},
			{`{"items": [[{"sku": "A", "qty": 2}]]}`, true},
			{`{"items": []}`, false},
		}},
		{"nested exists false", `{"a": {"b": [{"exists": false}]}}`, []input{
			{`{}`, true},
			{`{"a": 1}`, true},
			{`{"a": {}}`, true},
			{`{"a": {"b": 1}}`, false},
			{`{"a": [{"b": 1}, {"c": 1}]}`, true},
			{`{"a": [{"b": 1}]}`, false},
		}},
		{"$or nested", `{"$or": [{"metricName": ["CPU"]}, {"namespace": ["EC2"]}], "detail": {"scope": ["Service"], "$or": [{"source": ["cw"]}, {"type": ["Alarm"]}]}}`, []input{
			{`{"metricName": "CPU", "detail": {"scope": "Service", "type": "Alarm"}}`, true},
			{`{"namespace": "EC2", "detail": {"scope": "Service", "source": "cw"}}`, true},
			{`{"namespace": "EC2", "detail": {"scope": "Service"}}`, false},
			{`{"namespace": "EC2", "detail": {"source": "cw"}}`, false},
			{`{"detail": {"scope": "Service", "source": "cw"}}`, false},
		}},
		{"escapes, spacing and duplicate keys", `{"a\"b": ["x"], "cd": ["\u00e9"]}`, []input{
			{`{"a\"b": "x", "cd": "é"}`, true},
			{` { "a\u0022b" : "\u0078" , "c\u0064" : [ "\u00e9" ] } `, true},
			{`{"a\"b": "x", "cd": "é", "cd": "e"}`, false}, // the last duplicate wins, as in encoding/json
			{`{"a\"b": "x", "cd": "e", "cd": "é"}`, true},
			{`{"a\"b": "x", "nested": {"cd": "é"}}`, false},
		}},
		{"escaped backslash in a key", `{"a\\\\": ["x"]}`, []input{
			{`{"a\\\\": "x"}`, true},
			{`{"a\\": "x"}`, false},
		}},
		{"dotted key is a plain key", `{"a.b": ["x"]}`, []input{
			{`{"a.b": "x"}`, true},
			{`{"a": {"b": "x"}}`, false},
		}},
		{"unicode keys and values", `{"名前": ["太郎"], "emoji": [{"suffix": "🎉"}]}`, []input{
			{`{"名前": "太郎", "emoji": "party 🎉"}`, true},
			{`{"名前": "\u592a\u90ce", "emoji": "🎉"}`, true},
			{`{"名前": "花子", "emoji": "🎉"}`, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.policy, filter.MessageBody)
			for _, in := range tt.inputs {
				if got := p.MatchBody([]byte(in.body)); got != in.want {
					t.Errorf("MatchBody(%s) = %v, want %v", in.body, got, in.want)
				}
				if got := p.Match(nil, []byte(in.body)); got != in.want {
					t.Errorf("Match(nil, %s) = %v, want %v", in.body, got, in.want)
				}
			}
		})
	}
}

func TestNilPolicyMatchesEverything(t *testing.T) {
	var p *filter.Policy
	if !p.MatchAttributes(nil) || !p.MatchBody([]byte("not json")) || !p.Match(nil, nil) {
		t.Error("nil *Policy rejected a message; want it to match every message")
	}
	if got := p.String(); got != "{}" {
		t.Errorf("String() = %q, want {}", got)
	}
}

func TestConcurrentMatch(t *testing.T) {
	p := mustCompile(t, `{"a": [{"prefix": "x"}], "$or": [{"b": [{"numeric": [">", 1]}]}, {"c": {"d": ["y"]}}]}`, filter.MessageBody)
	body := []byte(`{"a": "xyz", "c": [{"d": "y"}]}`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if !p.MatchBody(body) {
					t.Error("MatchBody() = false, want true")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestMatchAttributesDoesNotAllocate(t *testing.T) {
	p := mustCompile(t, `{"a": ["x", {"prefix": "y"}], "n": [{"numeric": [">", 1]}], "l": [{"anything-but": ["q"]}], "ip": [{"cidr": "10.0.0.0/8"}]}`, filter.MessageAttributes)
	in := attrs{"a": str("yes"), "n": num("2.5"), "l": arr(`["r", "s"]`), "ip": str("10.1.2.3")}
	if !p.MatchAttributes(in) {
		t.Fatal("MatchAttributes() = false, want true")
	}
	if n := testing.AllocsPerRun(100, func() { p.MatchAttributes(in) }); n != 0 {
		t.Errorf("MatchAttributes allocates %v times per call, want 0", n)
	}
}
