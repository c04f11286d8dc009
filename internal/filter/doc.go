// Package filter compiles Amazon SNS subscription filter policies and matches
// messages against them, as SNS does when it fans a message out to a topic's
// subscriptions.
//
// A policy is a JSON object. Its keys are ANDed; each key's value is an array
// of conditions, ORed. A key names a message attribute (scope
// MessageAttributes, the default) or a property of a JSON message body (scope
// MessageBody), where an object value reaches into nested properties and an
// array in the body matches if any of its elements does:
//
//	{
//	  "store":    ["example_corp"],
//	  "event":    [{"anything-but": ["order_cancelled"]}],
//	  "price":    [{"numeric": [">=", 100, "<", 500]}],
//	  "customer": {"tier": ["gold", {"prefix": "plat"}]},
//	  "$or": [
//	    {"channel": ["web"]},
//	    {"coupon": [{"exists": true}]}
//	  ]
//	}
//
// Conditions:
//
//	"text"                          exact string, case-sensitive
//	12.5                            number, compared numerically (300 = 300.0 = 3e2)
//	true, false, null               JSON literals (null: a body property set to null)
//	{"prefix": "ab"}                string starting with "ab"
//	{"suffix": ".png"}              string ending with ".png"
//	{"equals-ignore-case": "ab"}    string equal under Unicode case folding
//	{"anything-but": "x"}           any value but "x"; also a number, a list of
//	                                strings or of numbers, or {"prefix": "ab"}
//	{"numeric": ["=", 5]}           one of = < <= > >=, or a range such as
//	{"numeric": [">", 0, "<=", 5]}  (> or >=, then < or <=)
//	{"exists": true}                the key holds a value; false: it holds none
//	{"cidr": "10.0.0.0/24"}         an IPv4 or IPv6 address in the block
//
// "$or" takes an array of two or more objects, each a policy of its own, and
// may appear at any level. An array whose objects use a condition keyword
// ("prefix", "numeric", ...) is not an $or but a list of conditions on a key
// named "$or", as SNS reads it.
//
// Numbers compare to five decimal places within ±10^9. Numeric conditions
// match only numbers: Number attributes, numeric elements of a String.Array,
// JSON numbers in a body; never a string such as "5". String conditions
// match only strings. Only {"exists": false} matches a key that is absent;
// anything-but needs a value to compare. Binary attributes count as present
// but never match a value.
//
// Arrays: a String.Array attribute or a body array matches a condition if
// any element does, and a body array of objects matches a nested policy if
// one element matches all of it. anything-but on a String.Array attribute is
// stricter: no element may be excluded (string-value-matching). In a body,
// objects and empty arrays are not values: {"exists": true} needs a scalar,
// null included.
//
// Compile enforces SNS's limits: 256 KiB, five keys, 150 combinations. Its
// errors are *Error values whose Path names the offending key.
package filter
