package sqsapi_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
)

func TestSendReceiveDelete(t *testing.T) {
	f := setup(t)
	url := f.createQueue("jobs", nil)
	attrs := map[string]types.MessageAttributeValue{
		"attribName1":            {DataType: aws.String("String"), StringValue: aws.String("attribValue 1")},
		"customNumberTypeAttrib": {DataType: aws.String("Number.float"), StringValue: aws.String("4563442423554324324264524243.32543234")},
		"binaryAttribute":        {DataType: aws.String("Binary"), BinaryValue: []byte("Hello binary world!")},
	}
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
	sent, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hello"), MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: &trace}},
		MessageGroupId:          aws.String("tenant-a")})
	if err != nil {
		t.Fatalf("SendMessage = %v", err) // the SDK checks MD5OfMessageBody itself
	}
	// The published test vector for these three attributes.
	if *sent.MD5OfMessageBody != "5d41402abc4b2a76b9719d911017c592" || aws.ToString(sent.MD5OfMessageAttributes) != "c932db14a896c663f83c260297d594ff" {
		t.Errorf("SendMessage MD5s = %s, %s", *sent.MD5OfMessageBody, aws.ToString(sent.MD5OfMessageAttributes))
	}
	if sent.MD5OfMessageSystemAttributes == nil {
		t.Error("SendMessage gave no MD5OfMessageSystemAttributes for a trace header")
	}

	got, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %v, %v; want 1 message", got, err)
	}
	m := got.Messages[0]
	if *m.MessageId != *sent.MessageId || *m.Body != "hello" || aws.ToString(m.MD5OfMessageAttributes) != "c932db14a896c663f83c260297d594ff" {
		t.Errorf("received %+v", m)
	}
	if diff := cmp.Diff(attrs, m.MessageAttributes, cmp.Comparer(func(a, b types.MessageAttributeValue) bool {
		return aws.ToString(a.DataType) == aws.ToString(b.DataType) && aws.ToString(a.StringValue) == aws.ToString(b.StringValue) && string(a.BinaryValue) == string(b.BinaryValue)
	})); diff != "" {
		t.Errorf("message attributes (-sent +received):\n%s", diff)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["MessageGroupId"] != "tenant-a" || m.Attributes["AWSTraceHeader"] != trace ||
		m.Attributes["SenderId"] != "000000000000" || m.Attributes["SentTimestamp"] == "" || m.Attributes["ApproximateFirstReceiveTimestamp"] == "" {
		t.Errorf("system attributes = %v", m.Attributes)
	}

	if _, err := f.sqs.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage = %v", err)
	}
	// Deleting again is harmless; a receipt that names nothing is invalid.
	if _, err := f.sqs.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Errorf("second DeleteMessage = %v, want success", err)
	}
	_, err = f.sqs.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	var rhi *types.ReceiptHandleIsInvalid
	if !errors.As(err, &rhi) {
		t.Errorf("DeleteMessage(garbage) = %v, want ReceiptHandleIsInvalid", err)
	}
	got, _ = f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	if len(got.Messages) != 0 {
		t.Errorf("receive after delete = %d messages, want 0", len(got.Messages))
	}
}

func TestReceiveFilters(t *testing.T) {
	f := setup(t)
	url := f.createQueue("filters", nil)
	s := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{"order.id": s("1"), "order.total": s("2"), "user": s("3")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: []string{"order.*"},
		AttributeNames: []types.QueueAttributeName{"SentTimestamp"}, VisibilityTimeout: 0})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %v, %v", got, err)
	}
	m := got.Messages[0]
	if len(m.MessageAttributes) != 2 || m.MessageAttributes["user"].DataType != nil {
		t.Errorf("attributes with filter order.* = %v", m.MessageAttributes)
	}
	if len(m.Attributes) != 1 || m.Attributes["SentTimestamp"] == "" {
		t.Errorf("system attributes asked by the legacy AttributeNames = %v", m.Attributes)
	}
	_, err = f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
	wantCode(t, "ReceiveMessage(11)", err, "InvalidParameterValue")
	_, err = f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
	wantCode(t, "ReceiveMessage(wait 21)", err, "InvalidParameterValue")
}

func TestSendValidation(t *testing.T) {
	f := setup(t)
	url := f.createQueue("v", map[string]string{"MaximumMessageSize": "1024"})
	fifo := f.createQueue("v.fifo", map[string]string{"FifoQueue": "true"})
	for _, tt := range []struct {
		in   sqs.SendMessageInput
		code string
	}{
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("")}, "MissingParameter"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("a\x00b")}, "InvalidMessageContents"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(string(make([]byte, 2000)))}, "InvalidMessageContents"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(fmt.Sprintf("%01025d", 0))}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 901}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("1x")}}}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Date"), StringValue: aws.String("1")}}}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "MissingParameter"},
		{sqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("x"), MessageGroupId: aws.String("g")}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 5}, "InvalidParameterValue"},
		{sqs.SendMessageInput{QueueUrl: aws.String(f.srv.URL + "/000000000000/nope"), MessageBody: aws.String("x")}, "AWS.SimpleQueueService.NonExistentQueue"},
	} {
		_, err := f.sqs.SendMessage(f.ctx, &tt.in)
		wantCode(t, fmt.Sprintf("SendMessage(%.40q)", aws.ToString(tt.in.MessageBody)), err, tt.code)
	}
}

func TestBatches(t *testing.T) {
	f := setup(t)
	url := f.createQueue("batch", nil)
	entries := func(n int) []types.SendMessageBatchRequestEntry {
		var es []types.SendMessageBatchRequestEntry
		for i := range n {
			es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("m" + strconv.Itoa(i))})
		}
		return es
	}
	_, err := f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries(11)})
	var tooMany *types.TooManyEntriesInBatchRequest
	if !errors.As(err, &tooMany) {
		t.Errorf("SendMessageBatch(11) = %v, want TooManyEntriesInBatchRequest", err)
	}
	_, err = f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{}})
	var empty *types.EmptyBatchRequest
	if !errors.As(err, &empty) {
		t.Errorf("SendMessageBatch(none) = %v, want EmptyBatchRequest", err)
	}
	dup := entries(2)
	dup[1].Id = dup[0].Id
	_, err = f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: dup})
	var notDistinct *types.BatchEntryIdsNotDistinct
	if !errors.As(err, &notDistinct) {
		t.Errorf("SendMessageBatch(same ids) = %v, want BatchEntryIdsNotDistinct", err)
	}
	bad := entries(1)
	bad[0].Id = aws.String("no spaces")
	_, err = f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: bad})
	var badID *types.InvalidBatchEntryId
	if !errors.As(err, &badID) {
		t.Errorf("SendMessageBatch(bad id) = %v, want InvalidBatchEntryId", err)
	}
	big := entries(2)
	big[0].MessageBody = aws.String(fmt.Sprintf("%0700000d", 0))
	big[1].MessageBody = big[0].MessageBody
	_, err = f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: big})
	var tooLong *types.BatchRequestTooLong
	if !errors.As(err, &tooLong) {
		t.Errorf("SendMessageBatch(1.4 MB) = %v, want BatchRequestTooLong", err)
	}

	// Per-entry failures: entry 1 has a bad attribute, entry 3 a bad delay.
	es := entries(5)
	es[1].MessageAttributes = map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("NaN")}}
	es[3].DelaySeconds = 1000
	out, err := f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: es})
	if err != nil {
		t.Fatalf("SendMessageBatch = %v", err)
	}
	if len(out.Successful) != 3 || len(out.Failed) != 2 {
		t.Fatalf("SendMessageBatch = %d ok, %d failed; want 3 and 2", len(out.Successful), len(out.Failed))
	}
	for _, fl := range out.Failed {
		if (*fl.Id != "1" && *fl.Id != "3") || !fl.SenderFault || *fl.Code != "InvalidParameterValue" {
			t.Errorf("failed entry = %s %v %s %s", *fl.Id, fl.SenderFault, *fl.Code, aws.ToString(fl.Message))
		}
	}

	got, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 3 {
		t.Fatalf("ReceiveMessage = %d, %v; want 3", len(got.Messages), err)
	}
	vis := []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: got.Messages[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("b"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 10},
	}
	cv, err := f.sqs.ChangeMessageVisibilityBatch(f.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: vis})
	if err != nil || len(cv.Successful) != 1 || len(cv.Failed) != 1 || *cv.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v", cv, err)
	}
	// The stale receipt of a message returned to the queue cannot change its visibility.
	_, err = f.sqs.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: got.Messages[0].ReceiptHandle, VisibilityTimeout: 5})
	wantCode(t, "ChangeMessageVisibility(returned message)", err, "InvalidParameterValue")
	if _, err := f.sqs.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: got.Messages[1].ReceiptHandle, VisibilityTimeout: 60}); err != nil {
		t.Errorf("ChangeMessageVisibility = %v", err)
	}
	del := []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: got.Messages[1].ReceiptHandle},
		{Id: aws.String("y"), ReceiptHandle: got.Messages[2].ReceiptHandle},
		{Id: aws.String("z"), ReceiptHandle: aws.String("garbage")},
	}
	dm, err := f.sqs.DeleteMessageBatch(f.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
	if err != nil || len(dm.Successful) != 2 || len(dm.Failed) != 1 || *dm.Failed[0].Id != "z" || *dm.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch = %+v, %v", dm, err)
	}
	attrs, _ := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if n := attrs.Attributes["ApproximateNumberOfMessages"]; n != "1" {
		t.Errorf("ApproximateNumberOfMessages = %s, want 1 (the returned one)", n)
	}
	if _, err := f.sqs.PurgeQueue(f.ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	attrs, _ = f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if n := attrs.Attributes["ApproximateNumberOfMessages"]; n != "0" {
		t.Errorf("ApproximateNumberOfMessages after purge = %s, want 0", n)
	}
}

func TestLongPoll(t *testing.T) {
	f := setup(t)
	url := f.createQueue("poll", nil)
	type result struct {
		out *sqs.ReceiveMessageOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		done <- result{out, err}
	}()
	// Wait until the receive is parked, then send.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := f.srv.Client.Stats(f.ctx, "poll")
		if err != nil {
			t.Fatal(err)
		}
		if st.Waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the long poll never parked")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.out.Messages) != 1 || *r.out.Messages[0].Body != "wake" {
			t.Fatalf("long-poll ReceiveMessage = %v, %v", r.out, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll was not answered when a message arrived")
	}
}

func TestFIFO(t *testing.T) {
	f := setup(t)
	url := f.createQueue("orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	var firstID, firstSeq string
	for i := range 6 {
		out, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(fmt.Sprint("m", i)),
			MessageGroupId: aws.String(fmt.Sprint("g", i%2))})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			firstID, firstSeq = *out.MessageId, aws.ToString(out.SequenceNumber)
		}
	}
	// The same body again: a duplicate, answered with the original id.
	dup, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m0"), MessageGroupId: aws.String("g0")})
	if err != nil || *dup.MessageId != firstID || aws.ToString(dup.SequenceNumber) != firstSeq {
		t.Errorf("duplicate send = %v, %v; want the first message's id %s", dup, err, firstID)
	}
	// Each group is delivered in order, and a group with a message in
	// flight is blocked.
	got, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"MessageGroupId", "SequenceNumber", "MessageDeduplicationId"},
		ReceiveRequestAttemptId:     aws.String("attempt-1")})
	if err != nil || len(got.Messages) != 6 {
		t.Fatalf("ReceiveMessage = %d messages, %v; want 6", len(got.Messages), err)
	}
	byGroup := map[string][]string{}
	for _, m := range got.Messages {
		byGroup[m.Attributes["MessageGroupId"]] = append(byGroup[m.Attributes["MessageGroupId"]], *m.Body)
		if m.Attributes["SequenceNumber"] == "" || len(m.Attributes["MessageDeduplicationId"]) != 64 {
			t.Errorf("FIFO system attributes = %v", m.Attributes)
		}
	}
	if diff := cmp.Diff(map[string][]string{"g0": {"m0", "m2", "m4"}, "g1": {"m1", "m3", "m5"}}, byGroup); diff != "" {
		t.Errorf("delivery order per group (-want +got):\n%s", diff)
	}
	// A retried receive with the same attempt id gets the same messages and receipts.
	again, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: aws.String("attempt-1")})
	if err != nil || len(again.Messages) != 6 || *again.Messages[0].ReceiptHandle != *got.Messages[0].ReceiptHandle {
		t.Errorf("retried ReceiveMessage = %d messages, %v; want the same 6", len(again.Messages), err)
	}
	other, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: aws.String("attempt-2")})
	if err != nil || len(other.Messages) != 0 {
		t.Errorf("new-attempt ReceiveMessage = %d messages, %v; want none while the groups are in flight", len(other.Messages), err)
	}

	// High-throughput mode: deduplication per message group.
	ht := f.createQueue("ht.fifo", map[string]string{"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	for _, g := range []string{"a", "b"} {
		if _, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &ht, MessageBody: aws.String("x"), MessageGroupId: &g, MessageDeduplicationId: aws.String("same")}); err != nil {
			t.Fatal(err)
		}
	}
	attrs, _ := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &ht, AttributeNames: []types.QueueAttributeName{"All"}})
	if attrs.Attributes["ApproximateNumberOfMessages"] != "2" || attrs.Attributes["DeduplicationScope"] != "messageGroup" || attrs.Attributes["FifoThroughputLimit"] != "perMessageGroupId" {
		t.Errorf("high-throughput FIFO attributes = %v; want 2 messages (one per group)", attrs.Attributes)
	}
	_, err = f.sqs.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &ht, Attributes: map[string]string{"DeduplicationScope": "queue"}})
	wantCode(t, "SetQueueAttributes(scope queue with perMessageGroupId)", err, "InvalidParameterValue")
}

func TestDeadLetterAndRedrive(t *testing.T) {
	f := setup(t)
	dlq := f.createQueue("work-dlq", nil)
	dlqARN := "arn:aws:sqs:us-east-1:000000000000:work-dlq"
	src := f.createQueue("work", map[string]string{"VisibilityTimeout": "0", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"2"}`})
	attrs, _ := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &src, AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if want := `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":2}`; attrs.Attributes["RedrivePolicy"] != want {
		t.Errorf("RedrivePolicy = %s, want %s", attrs.Attributes["RedrivePolicy"], want)
	}
	srcs, err := f.sqs.ListDeadLetterSourceQueues(f.ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(srcs.QueueUrls) != 1 || srcs.QueueUrls[0] != src {
		t.Errorf("ListDeadLetterSourceQueues = %v, %v; want [%s]", srcs, err, src)
	}
	// A RedriveAllowPolicy that denies every source is enforced.
	if _, err := f.sqs.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &dlq, Attributes: map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.sqs.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("other"), Attributes: map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":1}`}})
	wantCode(t, "CreateQueue(DLQ that denies all)", err, "InvalidParameterValue")

	for i := range 3 {
		if _, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String(fmt.Sprint("job", i))}); err != nil {
			t.Fatal(err)
		}
	}
	// Two receives with an immediate return (the queue's visibility
	// timeout is 0), then the third moves them.
	for range 2 {
		waitFor(t, "3 visible messages", func() bool { return f.visible(src) == 3 })
		got, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MaxNumberOfMessages: 10})
		if err != nil || len(got.Messages) != 3 {
			t.Fatalf("ReceiveMessage = %d, %v; want 3", len(got.Messages), err)
		}
	}
	waitFor(t, "3 visible messages", func() bool { return f.visible(src) == 3 })
	if got, _ := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MaxNumberOfMessages: 10}); len(got.Messages) != 0 {
		t.Errorf("third receive = %d messages, want none: they are dead-lettered", len(got.Messages))
	}
	waitFor(t, "3 dead letters", func() bool { return f.visible(dlq) == 3 })
	got, _ := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"DeadLetterQueueSourceArn"}})
	if len(got.Messages) != 1 || got.Messages[0].Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:work" {
		t.Fatalf("dead letter = %+v, want DeadLetterQueueSourceArn of work", got.Messages)
	}
	if _, err := f.sqs.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &dlq, ReceiptHandle: got.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dead letter back", func() bool { return f.visible(dlq) == 3 })

	// Redrive them back with a move task.
	_, err = f.sqs.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:work")})
	wantCode(t, "StartMessageMoveTask(not a DLQ)", err, "InvalidParameterValue")
	task, err := f.sqs.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqARN})
	if err != nil {
		t.Fatalf("StartMessageMoveTask = %v", err)
	}
	waitFor(t, "the move task to complete", func() bool {
		l, err := f.sqs.ListMessageMoveTasks(f.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqARN})
		return err == nil && len(l.Results) == 1 && aws.ToString(l.Results[0].Status) == "COMPLETED" && l.Results[0].ApproximateNumberOfMessagesMoved == 3
	})
	if f.visible(src) != 3 || f.visible(dlq) != 0 {
		t.Errorf("after redrive: source %d, DLQ %d; want 3 and 0", f.visible(src), f.visible(dlq))
	}
	_, err = f.sqs.CancelMessageMoveTask(f.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	wantCode(t, "CancelMessageMoveTask(completed)", err, "AWS.SimpleQueueService.UnsupportedOperation")
	_, err = f.sqs.CancelMessageMoveTask(f.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("CancelMessageMoveTask(nope) = %v, want ResourceNotFoundException", err)
	}

	// A slow task (one message a second) can be cancelled.
	for i := range 3 {
		f.srv.Client.Send(f.ctx, "work-dlq", sluiceSend(fmt.Sprint("late", i)))
	}
	slow, err := f.sqs.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqARN, DestinationArn: aws.String("arn:aws:sqs:us-east-1:000000000000:work"), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sqs.CancelMessageMoveTask(f.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: slow.TaskHandle}); err != nil {
		t.Errorf("CancelMessageMoveTask = %v", err)
	}
	waitFor(t, "the task to be cancelled", func() bool {
		l, err := f.sqs.ListMessageMoveTasks(f.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqARN, MaxResults: aws.Int32(10)})
		return err == nil && len(l.Results) == 2 && aws.ToString(l.Results[0].Status) == "CANCELLED"
	})
	if f.visible(dlq) < 2 {
		t.Errorf("cancelled task left %d in the DLQ, want at least 2 of 3", f.visible(dlq))
	}
}

// visible returns a queue's ApproximateNumberOfMessages.
func (f *fixture) visible(url string) int {
	f.t.Helper()
	attrs, err := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if err != nil {
		f.t.Fatal(err)
	}
	n, _ := strconv.Atoi(attrs.Attributes["ApproximateNumberOfMessages"])
	return n
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
