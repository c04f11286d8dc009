package snsapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sluicehq/sluice/sluicetest"
)

// fixture is a real server with the official SNS and SQS SDK clients.
type fixture struct {
	t   *testing.T
	srv *sluicetest.Server
	sns *sns.Client
	sqs *sqs.Client
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := sluicetest.NewServer(t, sluicetest.WithSync("never"))
	creds := credentials.NewStaticCredentialsProvider("AKID", "secret", "")
	return &fixture{
		t: t, srv: srv,
		sns: sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1}),
		sqs: sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1}),
	}
}

func (f *fixture) queue(name string, attrs map[string]string) (url, arn string) {
	f.t.Helper()
	out, err := f.sqs.CreateQueue(f.t.Context(), &sqs.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.QueueUrl, "arn:aws:sqs:us-east-1:000000000000:" + name
}

func (f *fixture) receive(url string, n int) []sqstypes.Message {
	f.t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := f.sqs.ReceiveMessage(f.t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
		if err != nil {
			f.t.Fatal(err)
		}
		got = append(got, out.Messages...)
	}
	return got
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestTopicsFanOutToQueues(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	topic, err := f.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders"), Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	if *topic.TopicArn != "arn:aws:sns:us-east-1:000000000000:orders" {
		t.Errorf("TopicArn = %s", *topic.TopicArn)
	}
	rawURL, rawARN := f.queue("raw", nil)
	envURL, envARN := f.queue("enveloped", nil)
	bigURL, bigARN := f.queue("big", nil)
	rawSub, err := f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &rawARN,
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &envARN}); err != nil {
		t.Fatal(err)
	}
	bigSub, err := f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &bigARN,
		Attributes: map[string]string{"FilterPolicy": `{"total":[{"numeric":[">=",100]}]}`, "RawMessageDelivery": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := f.sns.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: bigSub.SubscriptionArn})
	if err != nil || attrs.Attributes["FilterPolicy"] == "" || attrs.Attributes["Endpoint"] != bigARN || attrs.Attributes["Protocol"] != "sqs" {
		t.Errorf("GetSubscriptionAttributes = %v, %v", attrs, err)
	}

	for _, total := range []string{"250", "5"} {
		_, err := f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("order " + total), Subject: aws.String("new order"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"total": {DataType: aws.String("Number"), StringValue: aws.String(total)}},
			MessageGroupId:    aws.String("tenant-a")})
		if err != nil {
			t.Fatalf("Publish = %v", err)
		}
	}
	raw := f.receive(rawURL, 2)
	if len(raw) != 2 || *raw[0].Body != "order 250" || *raw[0].MessageAttributes["total"].StringValue != "250" || raw[0].Attributes["MessageGroupId"] != "tenant-a" {
		t.Errorf("raw deliveries = %+v", raw)
	}
	env := f.receive(envURL, 2)
	var doc struct{ Type, Message, TopicArn, Subject string }
	if len(env) != 2 || json.Unmarshal([]byte(*env[0].Body), &doc) != nil || doc.Type != "Notification" || doc.Message != "order 250" || doc.TopicArn != *topic.TopicArn || doc.Subject != "new order" {
		t.Errorf("enveloped delivery = %+v (%+v)", env, doc)
	}
	if big := f.receive(bigURL, 1); len(big) != 1 || *big[0].Body != "order 250" {
		t.Errorf("filtered deliveries = %+v, want only order 250", big)
	}

	batch, err := f.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("1"), Message: aws.String("one")},
		{Id: aws.String("2"), Message: aws.String("two"), MessageDeduplicationId: aws.String("d")},
	}})
	if err != nil || len(batch.Successful) != 1 || len(batch.Failed) != 1 || *batch.Failed[0].Id != "2" || *batch.Failed[0].Code != "InvalidParameter" {
		t.Errorf("PublishBatch = %+v, %v", batch, err)
	}
	_, err = f.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("1"), Message: aws.String("one")}, {Id: aws.String("1"), Message: aws.String("two")}}})
	var notDistinct *snstypes.BatchEntryIdsNotDistinctException
	if !errors.As(err, &notDistinct) {
		t.Errorf("PublishBatch(same ids) = %v, want BatchEntryIdsNotDistinct", err)
	}

	list, err := f.sns.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil || len(list.Subscriptions) != 3 {
		t.Errorf("ListSubscriptionsByTopic = %v, %v", list, err)
	}
	if _, err := f.sns.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: rawSub.SubscriptionArn,
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false")}); err != nil {
		t.Errorf("SetSubscriptionAttributes = %v", err)
	}
	if _, err := f.sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: rawSub.SubscriptionArn}); err != nil {
		t.Errorf("Unsubscribe = %v", err)
	}
	all, err := f.sns.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	if err != nil || len(all.Subscriptions) != 2 {
		t.Errorf("ListSubscriptions after Unsubscribe = %v, %v; want 2", all, err)
	}

	tags, err := f.sns.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: topic.TopicArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Errorf("ListTagsForResource = %v, %v", tags, err)
	}
	if _, err := f.sns.TagResource(ctx, &sns.TagResourceInput{ResourceArn: topic.TopicArn, Tags: []snstypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Error(err)
	}
	if _, err := f.sns.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: topic.TopicArn, TagKeys: []string{"team"}}); err != nil {
		t.Error(err)
	}
	tags, _ = f.sns.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: topic.TopicArn})
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Errorf("tags after tag and untag = %v", tags.Tags)
	}

	if _, err := f.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Orders")}); err != nil {
		t.Errorf("SetTopicAttributes(DisplayName) = %v", err)
	}
	_, err = f.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("Policy"), AttributeValue: aws.String("{")})
	if code(err) != "InvalidParameter" {
		t.Errorf("SetTopicAttributes(bad policy) = %v, want InvalidParameter", err)
	}
	ta, err := f.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: topic.TopicArn})
	if err != nil || ta.Attributes["SubscriptionsConfirmed"] != "2" || ta.Attributes["TopicArn"] != *topic.TopicArn || ta.Attributes["DisplayName"] != "Orders" {
		t.Errorf("GetTopicAttributes = %v, %v", ta, err)
	}
	topics, err := f.sns.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil || len(topics.Topics) != 1 {
		t.Errorf("ListTopics = %v, %v", topics, err)
	}
	if _, err := f.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
		t.Fatal(err)
	}
	_, err = f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	var nf *snstypes.NotFoundException
	if !errors.As(err, &nf) || code(err) != "NotFound" {
		t.Errorf("Publish(deleted topic) = %v, want NotFound", err)
	}
	_, err = f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:orders2"), Protocol: aws.String("email"), Endpoint: aws.String("a@b")})
	if code(err) != "InvalidParameter" && code(err) != "NotFound" {
		t.Errorf("Subscribe(email) = %v", err)
	}
}

func TestFIFOTopic(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	topic, err := f.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events.fifo"),
		Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	url, arn := f.queue("events.fifo", map[string]string{"FifoQueue": "true"})
	if _, err := f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &arn,
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range []string{"a", "b", "a"} {
		out, err := f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(m), MessageGroupId: aws.String("g")})
		if err != nil || out.SequenceNumber == nil {
			t.Fatalf("Publish = %v, %v", out, err)
		}
		ids = append(ids, *out.MessageId)
	}
	if ids[2] != ids[0] {
		t.Errorf("duplicate publish got id %s, want %s", ids[2], ids[0])
	}
	got := f.receive(url, 2)
	if len(got) != 2 || *got[0].Body != "a" || *got[1].Body != "b" || got[0].Attributes["MessageGroupId"] != "g" {
		t.Errorf("FIFO deliveries = %+v", got)
	}
	if _, err := f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")}); code(err) != "InvalidParameter" {
		t.Errorf("Publish without a group = %v, want InvalidParameter", err)
	}
}

// An HTTP subscription is confirmed by ConfirmSubscription with the token
// the endpoint received, then gets notifications with SNS's headers.
func TestHTTPSubscriptionConfirmed(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	type post struct {
		header http.Header
		body   map[string]string
	}
	posts := make(chan post, 16)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc map[string]string
		json.Unmarshal(b, &doc)
		posts <- post{r.Header.Clone(), doc}
	}))
	t.Cleanup(endpoint.Close)
	topic, err := f.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("hooks")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(endpoint.URL + "/hook")})
	if err != nil || *sub.SubscriptionArn != "pending confirmation" {
		t.Fatalf("Subscribe(http) = %v, %v; want pending confirmation", sub, err)
	}
	next := func() post {
		t.Helper()
		select {
		case p := <-posts:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("the endpoint got nothing")
			return post{}
		}
	}
	conf := next()
	if conf.body["Type"] != "SubscriptionConfirmation" || conf.body["Token"] == "" || conf.header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" {
		t.Fatalf("confirmation request = %v %v", conf.header, conf.body)
	}
	_, err = f.sns.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String("wrong")})
	if code(err) != "InvalidParameter" {
		t.Errorf("ConfirmSubscription(wrong token) = %v, want InvalidParameter", err)
	}
	confirmed, err := f.sns.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(conf.body["Token"])})
	if err != nil || !strings.HasPrefix(*confirmed.SubscriptionArn, *topic.TopicArn+":") {
		t.Fatalf("ConfirmSubscription = %v, %v", confirmed, err)
	}
	if _, err := f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("hi")}); err != nil {
		t.Fatal(err)
	}
	n := next()
	if n.body["Type"] != "Notification" || n.body["Message"] != "hi" || n.header.Get("x-amz-sns-subscription-arn") != *confirmed.SubscriptionArn {
		t.Errorf("notification = %v %v; want it from subscription %s", n.header, n.body, *confirmed.SubscriptionArn)
	}
}
