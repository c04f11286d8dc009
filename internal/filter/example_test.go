package filter_test

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/filter"
)

func Example() {
	p, err := filter.Compile([]byte(`{
		"store": ["example_corp"],
		"price_usd": [{"numeric": [">=", 100]}],
		"event": [{"anything-but": {"prefix": "test-"}}]
	}`), filter.MessageAttributes)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	fmt.Println(p.MatchAttributes(map[string]filter.Attribute{
		"store":     {Type: "String", Value: "example_corp"},
		"price_usd": {Type: "Number", Value: "1.5e2"},
		"event":     {Type: "String", Value: "order-placed"},
	}))
	fmt.Println(p.MatchAttributes(map[string]filter.Attribute{
		"store":     {Type: "String", Value: "example_corp"},
		"price_usd": {Type: "Number", Value: "99.99"},
		"event":     {Type: "String", Value: "order-placed"},
	}))

	_, err = filter.Compile([]byte(`{"price_usd": [{"numeric": [">", "100"]}]}`), filter.MessageAttributes)
	fmt.Println(err)
	// Output:
	// {"event":[{"anything-but":{"prefix":"test-"}}],"price_usd":[{"numeric":[">=",100]}],"store":["example_corp"]}
	// true
	// false
	// Invalid parameter: FilterPolicy: Value of > must be numeric (at price_usd[0])
}

func ExamplePolicy_MatchBody() {
	p, err := filter.Compile([]byte(`{"order": {"items": {"sku": [{"prefix": "BK-"}]}}}`), filter.MessageBody)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MatchBody([]byte(`{"order": {"items": [{"sku": "TOY-1"}, {"sku": "BK-42"}]}}`)))
	fmt.Println(p.MatchBody([]byte(`{"order": {"items": [{"sku": "TOY-1"}]}}`)))
	// Output:
	// true
	// false
}
