package querytest

import (
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/sqs"

	"github.com/sluicehq/sluice/sluicetest"
)

func setup(t *testing.T) *sqs.SQS {
	t.Helper()
	srv := sluicetest.NewServer(t, sluicetest.WithSync("never"))
	sess, err := session.NewSession(&aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentials("AKID", "secret", ""),
		MaxRetries:  aws.Int(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	return sqs.New(sess)
}

func code(err error) string {
	if ae, ok := err.(awserr.Error); ok {
		return ae.Code()
	}
	return ""
}

// TestQueryProtocol drives the SQS API through the Query protocol, XML
// responses and all. The SDK checks the body MD5 of every send and receive.
func TestQueryProtocol(t *testing.T) {
	c := setup(t)
	created, err := c.CreateQueue(&sqs.CreateQueueInput{QueueName: aws.String("jobs"),
		Attributes: map[string]*string{"VisibilityTimeout": aws.String("40")}, Tags: map[string]*string{"team": aws.String("a")}})
	if err != nil {
		t.Fatalf("CreateQueue = %v", err)
	}
	url := created.QueueUrl
	got, err := c.GetQueueUrl(&sqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	if err != nil || *got.QueueUrl != *url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	if _, err := c.GetQueueUrl(&sqs.GetQueueUrlInput{QueueName: aws.String("nope")}); code(err) != sqs.ErrCodeQueueDoesNotExist {
		t.Errorf("GetQueueUrl(nope) = %v, want %s", err, sqs.ErrCodeQueueDoesNotExist)
	}
	list, err := c.ListQueues(&sqs.ListQueuesInput{})
	if err != nil || len(list.QueueUrls) != 1 {
		t.Errorf("ListQueues = %v, %v", list, err)
	}

	attrs := map[string]*sqs.MessageAttributeValue{
		"s": {DataType: aws.String("String"), StringValue: aws.String("v")},
		"b": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		"n": {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
	}
	sent, err := c.SendMessage(&sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("hello & <goodbye>"), MessageAttributes: attrs})
	if err != nil || sent.MD5OfMessageAttributes == nil {
		t.Fatalf("SendMessage = %v, %v", sent, err)
	}
	var entries []*sqs.SendMessageBatchRequestEntry
	for i := range 3 {
		entries = append(entries, &sqs.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("batch " + strconv.Itoa(i))})
	}
	entries = append(entries, &sqs.SendMessageBatchRequestEntry{Id: aws.String("bad"), MessageBody: aws.String("x"), DelaySeconds: aws.Int64(1000)})
	batch, err := c.SendMessageBatch(&sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
	if err != nil || len(batch.Successful) != 3 || len(batch.Failed) != 1 || *batch.Failed[0].Code != "InvalidParameterValue" {
		t.Fatalf("SendMessageBatch = %v, %v", batch, err)
	}

	recv, err := c.ReceiveMessage(&sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: aws.Int64(10),
		AttributeNames: []*string{aws.String("All")}, MessageAttributeNames: []*string{aws.String("All")}})
	if err != nil || len(recv.Messages) != 4 {
		t.Fatalf("ReceiveMessage = %v, %v; want 4 messages", recv, err)
	}
	first := recv.Messages[0]
	if *first.Body != "hello & <goodbye>" || *first.MD5OfMessageAttributes != *sent.MD5OfMessageAttributes ||
		string(first.MessageAttributes["b"].BinaryValue) != "\x00\x01\x02" || *first.Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("first message = %v", first)
	}
	if _, err := c.ChangeMessageVisibility(&sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: aws.Int64(60)}); err != nil {
		t.Errorf("ChangeMessageVisibility = %v", err)
	}
	var del []*sqs.DeleteMessageBatchRequestEntry
	for i, m := range recv.Messages {
		del = append(del, &sqs.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	dm, err := c.DeleteMessageBatch(&sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: del})
	if err != nil || len(dm.Successful) != 4 {
		t.Errorf("DeleteMessageBatch = %v, %v", dm, err)
	}
	if _, err := c.DeleteMessage(&sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: aws.String("garbage")}); code(err) != sqs.ErrCodeReceiptHandleIsInvalid {
		t.Errorf("DeleteMessage(garbage) = %v, want %s", err, sqs.ErrCodeReceiptHandleIsInvalid)
	}
	dup := []*sqs.DeleteMessageBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: aws.String("r")}, {Id: aws.String("a"), ReceiptHandle: aws.String("r")}}
	if _, err := c.DeleteMessageBatch(&sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: dup}); code(err) != sqs.ErrCodeBatchEntryIdsNotDistinct {
		t.Errorf("DeleteMessageBatch(same ids) = %v, want %s", err, sqs.ErrCodeBatchEntryIdsNotDistinct)
	}
	if _, err := c.ReceiveMessage(&sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: aws.Int64(11)}); code(err) != "InvalidParameterValue" {
		t.Errorf("ReceiveMessage(11) = %v, want InvalidParameterValue", err)
	}

	qa, err := c.GetQueueAttributes(&sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []*string{aws.String("All")}})
	if err != nil || *qa.Attributes["VisibilityTimeout"] != "40" || *qa.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:jobs" {
		t.Errorf("GetQueueAttributes = %v, %v", qa, err)
	}
	if _, err := c.SetQueueAttributes(&sqs.SetQueueAttributesInput{QueueUrl: url, Attributes: map[string]*string{"DelaySeconds": aws.String("5")}}); err != nil {
		t.Errorf("SetQueueAttributes = %v", err)
	}
	tags, err := c.ListQueueTags(&sqs.ListQueueTagsInput{QueueUrl: url})
	if err != nil || *tags.Tags["team"] != "a" {
		t.Errorf("ListQueueTags = %v, %v", tags, err)
	}
	if _, err := c.PurgeQueue(&sqs.PurgeQueueInput{QueueUrl: url}); err != nil {
		t.Errorf("PurgeQueue = %v", err)
	}
	if _, err := c.DeleteQueue(&sqs.DeleteQueueInput{QueueUrl: url}); err != nil {
		t.Errorf("DeleteQueue = %v", err)
	}
	if _, err := c.SendMessage(&sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("x")}); code(err) != sqs.ErrCodeQueueDoesNotExist {
		t.Errorf("SendMessage(deleted queue) = %v, want %s", err, sqs.ErrCodeQueueDoesNotExist)
	}
}

// TestQueryFIFO checks FIFO sends and receives over Query.
func TestQueryFIFO(t *testing.T) {
	c := setup(t)
	q, err := c.CreateQueue(&sqs.CreateQueueInput{QueueName: aws.String("o.fifo"), Attributes: map[string]*string{
		"FifoQueue": aws.String("true"), "ContentBasedDeduplication": aws.String("true")}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, body := range []string{"a", "b", "a"} {
		out, err := c.SendMessage(&sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body), MessageGroupId: aws.String("g")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *out.MessageId)
	}
	if ids[2] != ids[0] {
		t.Errorf("duplicate send got id %s, want %s", ids[2], ids[0])
	}
	recv, err := c.ReceiveMessage(&sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: aws.Int64(10), AttributeNames: []*string{aws.String("All")}})
	if err != nil || len(recv.Messages) != 2 || *recv.Messages[0].Body != "a" || *recv.Messages[1].Body != "b" || *recv.Messages[0].Attributes["MessageGroupId"] != "g" {
		t.Errorf("ReceiveMessage = %v, %v; want a then b in group g", recv, err)
	}
}
