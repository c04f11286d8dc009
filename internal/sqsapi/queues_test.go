package sqsapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice"
)

func TestQueueLifecycle(t *testing.T) {
	f := setup(t)
	url := f.createQueue("jobs", map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "2"})
	if want := f.srv.URL + "/000000000000/jobs"; url != want {
		t.Errorf("QueueUrl = %q, want %q", url, want)
	}
	// Same attributes: the same queue. Other attributes: QueueNameExists.
	if again := f.createQueue("jobs", map[string]string{"VisibilityTimeout": "45"}); again != url {
		t.Errorf("second CreateQueue = %q, want %q", again, url)
	}
	_, err := f.sqs.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) || errorCode(err) != "QueueAlreadyExists" {
		t.Errorf("CreateQueue(other attributes) = %v, want QueueNameExists with code QueueAlreadyExists", err)
	}

	got, err := f.sqs.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	if err != nil || *got.QueueUrl != url {
		t.Errorf("GetQueueUrl = %v, %v; want %s", got, err, url)
	}
	_, err = f.sqs.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) || errorCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("GetQueueUrl(nope) = %v, want QueueDoesNotExist with the legacy code", err)
	}

	attrs, err := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"VisibilityTimeout": "45", "DelaySeconds": "2", "MessageRetentionPeriod": "345600", "MaximumMessageSize": "1048576",
		"ReceiveMessageWaitTimeSeconds": "0", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:jobs", "ApproximateNumberOfMessages": "0",
	} {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	if _, ok := attrs.Attributes["FifoQueue"]; ok {
		t.Error("a standard queue reports FifoQueue")
	}

	policy := `{"Version":"2012-10-17","Statement":[]}`
	_, err = f.sqs.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
		"VisibilityTimeout": "10", "MessageRetentionPeriod": "60", "ReceiveMessageWaitTimeSeconds": "20",
		"MaximumMessageSize": "2048", "Policy": policy, "KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true",
	}})
	if err != nil {
		t.Fatalf("SetQueueAttributes = %v", err)
	}
	attrs, _ = f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []types.QueueAttributeName{"VisibilityTimeout", "Policy", "MaximumMessageSize", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"}})
	if diff := cmp.Diff(map[string]string{"VisibilityTimeout": "10", "Policy": policy, "MaximumMessageSize": "2048",
		"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "300", "SqsManagedSseEnabled": "true"}, attrs.Attributes); diff != "" {
		t.Errorf("attributes after SetQueueAttributes (-want +got):\n%s", diff)
	}
	for _, bad := range []map[string]string{{"VisibilityTimeout": "43201"}, {"DelaySeconds": "x"}, {"MessageRetentionPeriod": "59"}, {"Policy": "{"}} {
		_, err := f.sqs.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: bad})
		wantCode(t, fmt.Sprint("SetQueueAttributes", bad), err, "InvalidParameterValue")
	}
	for _, bad := range []map[string]string{{"Colour": "red"}, {"FifoQueue": "true"}, {"ContentBasedDeduplication": "true"}, {"QueueArn": "x"}} {
		_, err := f.sqs.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: bad})
		var ian *types.InvalidAttributeName
		if !errors.As(err, &ian) {
			t.Errorf("SetQueueAttributes(%v) = %v, want InvalidAttributeName", bad, err)
		}
	}

	if _, err := f.sqs.DeleteQueue(f.ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url})
	if !errors.As(err, &dne) {
		t.Errorf("GetQueueAttributes(deleted) = %v, want QueueDoesNotExist", err)
	}
}

func TestCreateQueueValidation(t *testing.T) {
	f := setup(t)
	for _, tt := range []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"bad name!", nil, "InvalidParameterValue"},
		{"x.fifo", nil, "InvalidParameterValue"},                                   // FIFO names need FifoQueue=true
		{"plain", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"}, // and only they
		{"plain", map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
		{strings.Repeat("a", 81), nil, "InvalidParameterValue"},
		{"", nil, "MissingParameter"},
	} {
		_, err := f.sqs.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String(tt.name), Attributes: tt.attrs})
		wantCode(t, fmt.Sprintf("CreateQueue(%q, %v)", tt.name, tt.attrs), err, tt.code)
	}
}

func TestListQueuesAndTags(t *testing.T) {
	f := setup(t)
	for _, n := range []string{"a-1", "a-2", "a-3", "b-1"} {
		f.createQueue(n, nil)
	}
	out, err := f.sqs.ListQueues(f.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("a-")})
	if err != nil || len(out.QueueUrls) != 3 || out.NextToken != nil {
		t.Fatalf("ListQueues(a-) = %v, %v; want 3 queues, no token", out, err)
	}
	var names []string
	p := sqs.NewListQueuesPaginator(f.sqs, &sqs.ListQueuesInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.QueueUrls {
			names = append(names, u[strings.LastIndex(u, "/")+1:])
		}
	}
	if diff := cmp.Diff([]string{"a-1", "a-2", "a-3", "b-1"}, names); diff != "" {
		t.Errorf("paged ListQueues (-want +got):\n%s", diff)
	}
	_, err = f.sqs.ListQueues(f.ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	wantCode(t, "ListQueues(MaxResults 1001)", err, "InvalidParameterValue")

	url := f.srv.URL + "/000000000000/a-1"
	if _, err := f.sqs.TagQueue(f.ctx, &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"team": "x", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sqs.UntagQueue(f.ctx, &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.sqs.ListQueueTags(f.ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || !cmp.Equal(tags.Tags, map[string]string{"team": "x"}) {
		t.Errorf("ListQueueTags = %v, %v; want team=x", tags, err)
	}
	// CreateQueue's tags travel as lowercase "tags" in JSON.
	f.sqs.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"k": "v"}})
	tags, err = f.sqs.ListQueueTags(f.ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(f.srv.URL + "/000000000000/tagged")})
	if err != nil || tags.Tags["k"] != "v" {
		t.Errorf("ListQueueTags(tagged) = %v, %v; want k=v", tags, err)
	}
}

func TestPermissions(t *testing.T) {
	f := setup(t)
	url := f.createQueue("shared", nil)
	_, err := f.sqs.AddPermission(f.ctx, &sqs.AddPermissionInput{QueueUrl: &url, Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.sqs.AddPermission(f.ctx, &sqs.AddPermissionInput{QueueUrl: &url, Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	wantCode(t, "AddPermission(same label)", err, "InvalidParameterValue")
	attrs, _ := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Policy"}})
	if p := attrs.Attributes["Policy"]; !strings.Contains(p, `"Sid":"send"`) || !strings.Contains(p, "arn:aws:iam::111122223333:root") || !strings.Contains(p, "SQS:SendMessage") {
		t.Errorf("Policy after AddPermission = %s", p)
	}
	if _, err := f.sqs.RemovePermission(f.ctx, &sqs.RemovePermissionInput{QueueUrl: &url, Label: aws.String("send")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.sqs.RemovePermission(f.ctx, &sqs.RemovePermissionInput{QueueUrl: &url, Label: aws.String("send")})
	wantCode(t, "RemovePermission(gone)", err, "InvalidParameterValue")
	attrs, _ = f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Policy"}})
	if p, ok := attrs.Attributes["Policy"]; ok {
		t.Errorf("Policy after removing its only statement = %s, want none", p)
	}
}

// SQS lets a dead-letter queue be deleted while a source queue names it.
// The source's RedrivePolicy keeps naming it, and a message that would move
// there stays in the source and is delivered again: nothing is lost. Once
// the queue exists again, messages move to it.
func TestDeleteDeadLetterQueue(t *testing.T) {
	f := setup(t)
	dlq := f.createQueue("work-dlq", nil)
	policy := `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:work-dlq","maxReceiveCount":1}`
	src := f.createQueue("work", map[string]string{"VisibilityTimeout": "0", "RedrivePolicy": policy})

	// The native API refuses; SQS does not.
	if err := f.srv.Client.DeleteQueue(f.ctx, "work-dlq"); !errors.Is(err, sluice.ErrQueueInUse) {
		t.Fatalf("native DeleteQueue(work-dlq) = %v, want ErrQueueInUse", err)
	}
	if _, err := f.sqs.DeleteQueue(f.ctx, &sqs.DeleteQueueInput{QueueUrl: &dlq}); err != nil {
		t.Fatalf("DeleteQueue(work-dlq) = %v, want success as in SQS", err)
	}
	attrs, err := f.sqs.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &src, AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if err != nil || attrs.Attributes["RedrivePolicy"] != policy {
		t.Errorf("source RedrivePolicy = %v, %v; want %s still", attrs, err, policy)
	}

	receive := func() []types.Message {
		t.Helper()
		out, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	if _, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if got := receive(); len(got) != 1 {
		t.Fatalf("first receive = %d messages, want 1", len(got))
	}
	// The second receive tries the move, which fails: the message stays
	// and is delivered again.
	var again []types.Message
	waitFor(t, "the message to be delivered again", func() bool {
		again = receive()
		return len(again) == 1
	})
	if *again[0].Body != "kept" || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("delivered again: %s, receive count %s; want kept, 2", *again[0].Body, again[0].Attributes["ApproximateReceiveCount"])
	}
	if _, err := f.sqs.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &src, ReceiptHandle: again[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}

	// Created again, the dead-letter queue receives new dead letters.
	dlq = f.createQueue("work-dlq", nil)
	if _, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("moved")}); err != nil {
		t.Fatal(err)
	}
	if got := receive(); len(got) != 1 {
		t.Fatalf("receive = %d messages, want 1", len(got))
	}
	if got := receive(); len(got) != 0 {
		t.Errorf("receive over maxReceiveCount = %d messages, want 0: moved", len(got))
	}
	waitFor(t, "the dead letter", func() bool { return f.visible(dlq) == 1 })
}
