package sqsapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/sqsapi"
)

var _ sqsapi.Engine = (*engine.Engine)(nil)

// FuzzHandler sends arbitrary SQS requests, in both protocols, through the
// router and the handler to a real engine: none may panic or fail as an
// internal error.
func FuzzHandler(f *testing.F) {
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}})
	if err != nil {
		f.Fatal(err)
	}
	go e.Run(ctx)
	for _, q := range []sluice.QueueConfig{{Name: "q"}, {Name: "q.fifo"}} {
		if _, _, err := e.CreateQueue(ctx, q); err != nil {
			f.Fatal(err)
		}
	}
	h := sqsapi.New(e, sqsapi.Options{})
	f.Cleanup(h.Close)
	rt := awswire.NewRouter(awswire.RouterOptions{}, h.Service())

	f.Add(true, "SendMessageBatch", `{"QueueUrl":"http://h/0/q","Entries":[{"Id":"a","MessageBody":"x","MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"}}}]}`)
	f.Add(true, "ReceiveMessage", `{"QueueUrl":"q.fifo","MaxNumberOfMessages":10,"ReceiveRequestAttemptId":"a","MessageAttributeNames":["x.*"]}`)
	f.Add(true, "CreateQueue", `{"QueueName":"z.fifo","Attributes":{"FifoQueue":"true","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:r:0:q.fifo\",\"maxReceiveCount\":\"x\"}"}}`)
	f.Add(false, "SendMessage", "QueueUrl=q.fifo&MessageBody=x&MessageGroupId=g&MessageDeduplicationId=d&MessageSystemAttribute.1.Name=AWSTraceHeader&MessageSystemAttribute.1.Value.DataType=String&MessageSystemAttribute.1.Value.StringValue=t")
	f.Add(false, "SetQueueAttributes", "QueueUrl=q&Attribute.1.Name=RedriveAllowPolicy&Attribute.1.Value=%7B%7D")
	f.Add(false, "DeleteMessageBatch", "QueueUrl=q&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=AAAAAAAAAAEAAAAAAAAAAUBAB-I4P5Ge")
	f.Add(false, "AddPermission", "QueueUrl=q&Label=l&AWSAccountId.1=1&ActionName.1=SendMessage")
	f.Add(true, "StartMessageMoveTask", `{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:q"}`)
	f.Fuzz(func(t *testing.T, json bool, action, body string) {
		var req *http.Request
		if json {
			req = httptest.NewRequest("POST", "/", strings.NewReader(body))
			req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		} else {
			req = httptest.NewRequest("POST", "/", strings.NewReader("Action="+action+"&"+body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		// The fuzzer must not delete or purge the two queues every input needs.
		if action == "DeleteQueue" || action == "PurgeQueue" {
			return
		}
		// Long polls end early: the client "goes away".
		rctx, stop := context.WithTimeout(ctx, 20*time.Millisecond)
		defer stop()
		req = req.WithContext(rctx)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Errorf("%s %q: %d %s", action, body, w.Code, w.Body)
		}
	})
}
