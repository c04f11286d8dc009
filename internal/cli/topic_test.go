package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func TestTopicLifecycle(t *testing.T) {
	f := setup(t)

	out := f.ok("topic", "create", "orders", "--tag", "team=billing")
	if row := tableRow(out, "type"); row == nil || row[1] != "standard" {
		t.Errorf("topic create table: type row %q, want standard\n%s", row, out)
	}
	var created wire.Topic
	f.okJSON(&created, "topic", "create", "ledger.fifo", "--content-based-dedup")
	if created.Type != sluice.FIFO || !created.ContentBasedDedup {
		t.Errorf("topic create --json = %+v, want a content-deduplicated FIFO topic", created)
	}
	out = f.ok("topic", "list")
	if tableRow(out, "NAME") == nil {
		t.Errorf("topic list has no header:\n%s", out)
	}
	if row := tableRow(out, "orders"); row == nil || row[1] != "standard" || row[len(row)-1] != "team=billing" {
		t.Errorf("topic list row for orders = %q\n%s", row, out)
	}
	var list []wire.Topic
	f.okJSON(&list, "topic", "list", "--prefix", "led")
	if len(list) != 1 || list[0].Name != "ledger.fifo" {
		t.Errorf("topic list --prefix led --json = %+v, want only ledger.fifo", list)
	}
	f.okJSON(&list, "topic", "list", "--limit", "1")
	if len(list) != 1 || list[0].Name != "ledger.fifo" {
		t.Errorf("topic list --limit 1 --json = %+v, want ledger.fifo", list)
	}
	var got wire.Topic
	f.okJSON(&got, "topic", "get", "orders")
	if got.Name != "orders" || got.Tags["team"] != "billing" {
		t.Errorf("topic get --json = %+v", got)
	}
	if out := f.ok("topic", "delete", "orders", "ledger.fifo"); !strings.Contains(out, "deleted topic ledger.fifo") {
		t.Errorf("topic delete printed %q", out)
	}
	wantFailure(t, "get a deleted topic", f.run("topic", "get", "orders"), 1, `topic "orders" does not exist`)
}

func TestPublishAndSubscribe(t *testing.T) {
	f := setup(t)
	f.ok("topic", "create", "orders")
	f.ok("queue", "create", "all")
	f.ok("queue", "create", "big")

	out := f.ok("subscribe", "orders", "--protocol", "queue", "--endpoint", "all", "--raw")
	if row := tableRow(out, "confirmed"); row == nil || row[1] != "true" {
		t.Errorf("subscribe table: confirmed row %q, want true\n%s", row, out)
	}
	var big wire.Subscription
	f.okJSON(&big, "subscribe", "orders", "--protocol", "queue", "--endpoint", "big", "--raw",
		"--filter-policy", `{"price": [{"numeric": [">=", 100]}]}`)
	var policy map[string][]map[string][]any
	if err := json.Unmarshal([]byte(big.FilterPolicy), &policy); err != nil || !strings.HasPrefix(big.ID, "orders/") || !big.Raw ||
		len(policy["price"]) != 1 || policy["price"][0]["numeric"][0] != ">=" {
		t.Errorf("subscribe --json = %+v, want the raw subscription with its policy (%v)", big, err)
	}
	var hook wire.Subscription
	f.okJSON(&hook, "subscribe", "orders", "--protocol", "https", "--endpoint", "https://hooks.example.com/x",
		"--max-attempts", "7", "--max-backoff", "2m", "--max-rate", "1.5")
	if hook.Confirmed || hook.Delivery == nil || hook.Delivery.MaxAttempts != 7 || hook.Delivery.MaxRate != 1.5 {
		t.Errorf("subscribe https --json = %+v, want unconfirmed with the delivery policy", hook)
	}

	var res wire.PublishResult
	f.okJSON(&res, "publish", "orders", "cheap", "--attr", "price=Number:5", "--subject", "s", "--tenant", "acme")
	if res.ID == "" || res.Deliveries != 1 {
		t.Errorf("publish cheap --json = %+v, want 1 delivery", res)
	}
	out = f.runStdin("expensive", "publish", "orders", "--attr", "price=Number:500").stdout
	if row := tableRow(out, "ID"); row == nil {
		t.Errorf("publish table has no header:\n%s", out)
	}
	var msgs []wire.Message
	f.okJSON(&msgs, "receive", "big", "--max", "10", "--wait", "0")
	if len(msgs) != 1 || *msgs[0].Body != "expensive" {
		t.Errorf("big received %+v, want only the expensive message", msgs)
	}
	f.okJSON(&msgs, "receive", "all", "--max", "10", "--wait", "0")
	if len(msgs) != 2 || msgs[0].Tenant != "acme" {
		t.Errorf("all received %+v, want both messages, the first with its tenant", msgs)
	}

	out = f.ok("subscriptions")
	for _, id := range []string{big.ID, hook.ID} {
		if tableRow(out, id) == nil {
			t.Errorf("subscriptions lacks %s:\n%s", id, out)
		}
	}
	var subs []wire.Subscription
	f.okJSON(&subs, "subscriptions", "orders", "--limit", "2")
	if len(subs) != 2 || subs[1].ID != big.ID {
		t.Errorf("subscriptions orders --limit 2 = %+v, want the first two", subs)
	}
	if out := f.ok("unsubscribe", big.ID); !strings.Contains(out, "deleted subscription "+big.ID) {
		t.Errorf("unsubscribe printed %q", out)
	}
	f.okJSON(&res, "publish", "orders", "again", "--attr", "price=Number:500")
	if res.Deliveries != 1 {
		t.Errorf("publish after unsubscribe = %+v, want 1 delivery", res)
	}
	wantFailure(t, "unsubscribe twice", f.run("unsubscribe", big.ID), 1, "does not exist")
}

func TestTopicBadInput(t *testing.T) {
	f := setup(t)
	f.ok("topic", "create", "t")
	f.ok("topic", "create", "t.fifo")
	f.ok("queue", "create", "q")

	wantFailure(t, "publish to a missing topic", f.run("publish", "missing", "x"), 1, `topic "missing" does not exist`)
	wantFailure(t, "FIFO publish without group", f.run("publish", "t.fifo", "x"), 1, "group_id")
	wantFailure(t, "non-UTF-8 body", f.runStdin("\xff\xfe", "publish", "t"), 1, "body", "UTF-8")
	wantFailure(t, "bad filter policy", f.run("subscribe", "t", "--protocol", "queue", "--endpoint", "q", "--filter-policy", "{"), 1, "filter_policy")
	wantFailure(t, "bad protocol", f.run("subscribe", "t", "--protocol", "smtp", "--endpoint", "a@b"), 1, "protocol")
	wantFailure(t, "subscribe a missing topic", f.run("subscribe", "nope", "--protocol", "queue", "--endpoint", "q"), 1, `topic "nope" does not exist`)
	wantFailure(t, "wrong token", f.run("confirm", "t", "wrong"), 1, "token")
	wantFailure(t, "confirm on a missing topic", f.run("confirm", "nope", "tok"), 1, `topic "nope" does not exist`)
	wantFailure(t, "subscriptions of a missing topic", f.run("subscriptions", "nope"), 1, `topic "nope" does not exist`)
	wantFailure(t, "unsubscribe a malformed id", f.run("unsubscribe", "nonsense"), 1, "does not exist")

	wantFailure(t, "subscribe without protocol", f.run("subscribe", "t", "--endpoint", "q"), 2, "--protocol")
	wantFailure(t, "subscribe without endpoint", f.run("subscribe", "t", "--protocol", "queue"), 2, "--endpoint")
	wantFailure(t, "confirm without token", f.run("confirm", "t"), 2, "confirm", "TOKEN")
	wantFailure(t, "topic create without name", f.run("topic", "create"), 2, "topic create", "NAME")
	wantFailure(t, "bad duration", f.run("subscribe", "t", "--protocol", "http", "--endpoint", "http://x", "--timeout", "soon"), 2, "soon")
}

func TestTopicHelp(t *testing.T) {
	for _, args := range [][]string{
		{"topic", "--help"}, {"topic", "create", "--help"}, {"topic", "list", "--help"}, {"topic", "get", "--help"},
		{"topic", "delete", "--help"}, {"publish", "--help"}, {"subscribe", "--help"}, {"subscriptions", "--help"},
		{"unsubscribe", "--help"}, {"confirm", "--help"},
	} {
		r := runMain(t, "", args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("sluice %s: exit %d, stderr %q; want usage on stdout and exit 0", strings.Join(args, " "), r.code, r.stderr)
		}
		if args[0] != "topic" || len(args) == 3 {
			if !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Flags:") {
				t.Errorf("sluice %s lacks flags or examples:\n%s", strings.Join(args, " "), r.stdout)
			}
		}
	}
}

// TestSubscriptionJSONIsTheWireDocument checks that --json prints what the
// API returns, filter policy as an object included.
func TestSubscriptionJSONIsTheWireDocument(t *testing.T) {
	f := setup(t)
	f.ok("topic", "create", "t")
	f.ok("queue", "create", "q")
	out := f.ok("subscribe", "t", "--protocol", "queue", "--endpoint", "q", "--filter-policy", `{"a":["b"]}`, "--json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["filter_policy"].(map[string]any); !ok || doc["filter_scope"] != "MessageAttributes" || doc["delivery"] != nil {
		t.Errorf("subscribe --json = %s, want the policy as an object, the default scope and null delivery", out)
	}
}
