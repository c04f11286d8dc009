package sqsapi_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// A golden exchange: one request in one protocol and the response it gets.
type exchange struct {
	name   string
	action string
	path   string // default "/"
	body   string // JSON document or Query form
}

// TestGoldenQuery and TestGoldenJSON pin the bytes SQS clients parse, in
// both protocols, with the values that change from run to run (request
// ids, message ids, receipts, timestamps, the port) replaced by
// placeholders. Run with -update to accept a deliberate change.
func TestGoldenQuery(t *testing.T) {
	f := setup(t)
	runGolden(t, f, "query", []exchange{
		{"create_queue", "CreateQueue", "", "QueueName=orders&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=45&Tag.1.Key=team&Tag.1.Value=a"},
		{"create_fifo", "CreateQueue", "", "QueueName=jobs.fifo&Attribute.1.Name=FifoQueue&Attribute.1.Value=true&Attribute.2.Name=ContentBasedDeduplication&Attribute.2.Value=true"},
		{"get_queue_url", "GetQueueUrl", "", "QueueName=orders"},
		{"list_queues", "ListQueues", "", "MaxResults=1"},
		{"get_queue_attributes", "GetQueueAttributes", "", "QueueUrl=http://HOST/000000000000/jobs.fifo&AttributeName.1=All"},
		{"send_message", "SendMessage", "", "QueueUrl=http://HOST/000000000000/orders&MessageBody=hello%20%3Cworld%3E" +
			"&MessageAttribute.1.Name=attribName1&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=attribValue%201" +
			"&MessageAttribute.2.Name=binaryAttribute&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=SGVsbG8gYmluYXJ5IHdvcmxkIQ%3D%3D"},
		{"send_to_queue_path", "SendMessage", "/000000000000/orders", "MessageBody=via%20path&MessageGroupId=tenant-a"},
		{"send_message_batch", "SendMessageBatch", "", "QueueUrl=http://HOST/000000000000/jobs.fifo" +
			"&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one&SendMessageBatchRequestEntry.1.MessageGroupId=g" +
			"&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two"},
		{"receive_message", "ReceiveMessage", "", "QueueUrl=http://HOST/000000000000/orders&MaxNumberOfMessages=1&AttributeName.1=ApproximateReceiveCount&MessageAttributeName.1=All"},
		{"delete_message_batch", "DeleteMessageBatch", "", "QueueUrl=http://HOST/000000000000/orders&DeleteMessageBatchRequestEntry.1.Id=x&DeleteMessageBatchRequestEntry.1.ReceiptHandle=garbage"},
		{"list_queue_tags", "ListQueueTags", "", "QueueUrl=http://HOST/000000000000/orders"},
		{"error_no_queue", "GetQueueUrl", "", "QueueName=nope"},
		{"error_too_many", "DeleteMessageBatch", "", "QueueUrl=http://HOST/000000000000/orders" + manyEntries()},
		{"error_bad_value", "ReceiveMessage", "", "QueueUrl=http://HOST/000000000000/orders&MaxNumberOfMessages=11"},
		{"error_unknown_action", "Frobnicate", "", ""},
	})
}

func TestGoldenJSON(t *testing.T) {
	f := setup(t)
	runGolden(t, f, "json", []exchange{
		{"create_queue", "CreateQueue", "", `{"QueueName":"orders","Attributes":{"VisibilityTimeout":"45"},"tags":{"team":"a"}}`},
		{"get_queue_attributes", "GetQueueAttributes", "", `{"QueueUrl":"http://HOST/000000000000/orders","AttributeNames":["All"]}`},
		{"list_queues", "ListQueues", "", `{}`},
		{"send_message", "SendMessage", "", `{"QueueUrl":"http://HOST/000000000000/orders","MessageBody":"hello <world>","MessageAttributes":{"attribName1":{"DataType":"String","StringValue":"attribValue 1"}}}`},
		{"send_message_batch", "SendMessageBatch", "", `{"QueueUrl":"http://HOST/000000000000/orders","Entries":[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two","DelaySeconds":901}]}`},
		{"receive_message", "ReceiveMessage", "", `{"QueueUrl":"http://HOST/000000000000/orders","MaxNumberOfMessages":1,"MessageSystemAttributeNames":["SenderId"],"MessageAttributeNames":["attrib.*"]}`},
		{"error_no_queue", "SendMessage", "", `{"QueueUrl":"http://HOST/000000000000/nope","MessageBody":"x"}`},
		{"error_receipt", "DeleteMessage", "", `{"QueueUrl":"http://HOST/000000000000/orders","ReceiptHandle":"garbage"}`},
		{"error_ids_not_distinct", "DeleteMessageBatch", "", `{"QueueUrl":"http://HOST/000000000000/orders","Entries":[{"Id":"a","ReceiptHandle":"r"},{"Id":"a","ReceiptHandle":"r"}]}`},
		{"error_serialization", "ListQueues", "", `{"MaxResults":"ten"}`},
		{"error_unknown_action", "Frobnicate", "", `{}`},
	})
}

func manyEntries() string {
	var b strings.Builder
	for i := range 11 {
		n := string(rune('a' + i))
		b.WriteString("&DeleteMessageBatchRequestEntry." + itoa(i+1) + ".Id=" + n + "&DeleteMessageBatchRequestEntry." + itoa(i+1) + ".ReceiptHandle=r")
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func runGolden(t *testing.T, f *fixture, protocol string, exchanges []exchange) {
	t.Helper()
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for _, ex := range exchanges {
		body := strings.ReplaceAll(ex.body, "http://HOST", f.srv.URL)
		var req *http.Request
		var err error
		path := ex.path
		if path == "" {
			path = "/"
		}
		if protocol == "json" {
			req, err = http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("X-Amz-Target", "AmazonSQS."+ex.action)
		} else {
			form := "Action=" + ex.action + "&Version=2012-11-05"
			if body != "" {
				form += "&" + strings.ReplaceAll(body, f.srv.URL, url.QueryEscape(f.srv.URL))
			}
			req, err = http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got bytes.Buffer
		got.WriteString(resp.Status + "\nContent-Type: " + resp.Header.Get("Content-Type") + "\n")
		if qe := resp.Header.Get("x-amzn-query-error"); qe != "" {
			got.WriteString("x-amzn-query-error: " + qe + "\n")
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s %s: no x-amzn-RequestId header", protocol, ex.name)
		}
		got.WriteString("\n")
		if protocol == "json" {
			if err := json.Indent(&got, raw, "", "  "); err != nil {
				t.Fatalf("%s: response is not JSON: %v: %s", ex.name, err, raw)
			}
		} else if err := indentXML(&got, raw); err != nil {
			t.Fatalf("%s: response is not XML: %v: %s", ex.name, err, raw)
		}
		got.WriteString("\n")
		out := scrub(got.String(), host)
		file := filepath.Join("testdata", protocol, ex.name+".golden")
		if *update {
			os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if out != string(want) {
			t.Errorf("%s %s differs from %s:\ngot:\n%s\nwant:\n%s", protocol, ex.action, file, out, want)
		}
	}
}

var (
	uuidRE      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	receiptRE   = regexp.MustCompile(`(ReceiptHandle(?:>|": "))[A-Za-z0-9_-]{32}`)
	timestampRE = regexp.MustCompile(`((?:Timestamp)(?:</Name>\s*<Value>|": ")|Timestamp": )\d{10,13}`)
)

func scrub(s, host string) string {
	s = strings.ReplaceAll(s, host, "HOST")
	s = uuidRE.ReplaceAllString(s, "<uuid>")
	s = receiptRE.ReplaceAllString(s, "${1}<receipt>")
	return timestampRE.ReplaceAllString(s, "${1}<timestamp>")
}

// indentXML checks that raw is well-formed XML and writes it with one
// element per line, for review; the bytes are otherwise unchanged.
func indentXML(w *bytes.Buffer, raw []byte) error {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	w.Write(bytes.ReplaceAll(raw, []byte("><"), []byte(">\n<")))
	return nil
}
