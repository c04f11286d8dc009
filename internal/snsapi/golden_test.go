package snsapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/snsapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var _ snsapi.Engine = (*engine.Engine)(nil)

// router returns the SNS API over a real engine with the queue "q".
func router(t testing.TB) http.Handler {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}})
	if err != nil {
		t.Fatal(err)
	}
	go e.Run(ctx)
	if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: "q"}); err != nil {
		t.Fatal(err)
	}
	return awswire.NewRouter(awswire.RouterOptions{}, snsapi.New(e, snsapi.Options{}).Service())
}

// TestGolden pins SNS's Query XML responses, with ids replaced by
// placeholders. Run with -update to accept a deliberate change.
func TestGolden(t *testing.T) {
	rt := router(t)
	topic := url.QueryEscape("arn:aws:sns:us-east-1:000000000000:orders")
	for _, ex := range []struct{ name, form string }{
		{"create_topic", "Action=CreateTopic&Name=orders&Tags.member.1.Key=team&Tags.member.1.Value=a"},
		{"subscribe", "Action=Subscribe&TopicArn=" + topic + "&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true"},
		{"list_subscriptions_by_topic", "Action=ListSubscriptionsByTopic&TopicArn=" + topic},
		{"get_topic_attributes", "Action=GetTopicAttributes&TopicArn=" + topic},
		{"publish", "Action=Publish&TopicArn=" + topic + "&Message=hello&MessageAttributes.entry.1.Name=n&MessageAttributes.entry.1.Value.DataType=Number&MessageAttributes.entry.1.Value.StringValue=1"},
		{"publish_batch", "Action=PublishBatch&TopicArn=" + topic + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=x&PublishBatchRequestEntries.member.2.Id=b"},
		{"list_tags", "Action=ListTagsForResource&ResourceArn=" + topic},
		{"error_not_found", "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Anope&Message=x"},
		{"error_bad_protocol", "Action=Subscribe&TopicArn=" + topic + "&Protocol=email&Endpoint=a%40b"},
	} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(ex.form+"&Version=2010-03-31"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		raw := w.Body.Bytes()
		if err := checkXML(raw); err != nil {
			t.Fatalf("%s: %v: %s", ex.name, err, raw)
		}
		got := w.Result().Status + "\nContent-Type: " + w.Header().Get("Content-Type") + "\n\n" +
			string(bytes.ReplaceAll(raw, []byte("><"), []byte(">\n<"))) + "\n"
		got = scrub(got)
		file := filepath.Join("testdata", ex.name+".golden")
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s:\ngot:\n%s\nwant:\n%s", ex.name, file, got, want)
		}
	}
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	subRE  = regexp.MustCompile(`(orders:)[0-9a-f]{32}`)
)

func scrub(s string) string {
	s = uuidRE.ReplaceAllString(s, "<uuid>")
	return subRE.ReplaceAllString(s, "${1}<id>")
}

func checkXML(raw []byte) error {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// FuzzHandler sends arbitrary SNS Query requests through the router to a
// real engine: none may panic or fail as an internal error.
func FuzzHandler(f *testing.F) {
	rt := router(f)
	f.Add("Action=CreateTopic&Name=t.fifo&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true")
	f.Add("Action=Publish&TopicArn=arn%3Aaws%3Asns%3Ar%3A0%3At&Message=%7B%7D&MessageStructure=json")
	f.Add("Action=SetSubscriptionAttributes&SubscriptionArn=arn%3Aaws%3Asns%3Ar%3A0%3At%3Aab&AttributeName=DeliveryPolicy&AttributeValue=%7B%7D")
	f.Add("Action=Subscribe&TopicArn=arn%3Aaws%3Asns%3Ar%3A0%3At&Protocol=https&Endpoint=https%3A%2F%2Fx")
	f.Fuzz(func(t *testing.T, form string) {
		if strings.Contains(form, "DeleteTopic") {
			return
		}
		ctx, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer stop()
		req := httptest.NewRequestWithContext(ctx, "POST", "/", strings.NewReader(form+"&Version=2010-03-31"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Errorf("%q: %d %s", form, w.Code, w.Body)
		}
	})
}
