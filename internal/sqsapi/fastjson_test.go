package sqsapi

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var fastSeeds = []string{
	`{"QueueUrl":"http://127.0.0.1:9324/000000000000/q","Entries":[{"Id":"0","MessageBody":"hello","MessageAttributes":{"kind":{"DataType":"String","StringValue":"bench"},"b":{"DataType":"Binary","BinaryValue":"AAEC"}},"DelaySeconds":5},{"Id":"1","MessageBody":"héllo","MessageGroupId":"g","MessageDeduplicationId":"d","MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"Root=1"}}}]}`,
	`{"QueueUrl":"q","Entries":[{"Id":"a","ReceiptHandle":"AAAAAAAAAAEAAAAAAAAAAUBAB-I4P5Ge"}]}`,
	`{"QueueUrl":"q","MaxNumberOfMessages":10,"WaitTimeSeconds":20,"VisibilityTimeout":0,"AttributeNames":["All"],"MessageSystemAttributeNames":[],"MessageAttributeNames":["a.*"],"ReceiveRequestAttemptId":"x"}`,
	` { "QueueUrl" : "q" , "MaxNumberOfMessages" : -1 } `,
	`{"QueueUrl":"a\"b"}`, `{"MaxNumberOfMessages":1.5}`, `{"Entries":null}`, `{"Colour":"red"}`, `{"MaxNumberOfMessages":99999999999}`,
}

// Whatever a one-pass decoder accepts, encoding/json decodes to the same value.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(fast, slow fastDecoder) {
			if !fast.decodeFast(data) {
				return
			}
			if err := json.Unmarshal(data, slow); err != nil {
				t.Fatalf("decodeFast accepted %q, encoding/json says %v", data, err)
			}
			if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("decodeFast(%q) differs from encoding/json (-json +fast):\n%s", data, diff)
			}
		}
		check(&sendMessageBatchInput{}, &sendMessageBatchInput{})
		check(&deleteMessageBatchInput{}, &deleteMessageBatchInput{})
		check(&receiveMessageInput{}, &receiveMessageInput{})
	})
}

func TestFastDecodeHandlesSDKDocuments(t *testing.T) {
	if !(&sendMessageBatchInput{}).decodeFast([]byte(fastSeeds[0])) ||
		!(&deleteMessageBatchInput{}).decodeFast([]byte(fastSeeds[1])) ||
		!(&receiveMessageInput{}).decodeFast([]byte(fastSeeds[2])) {
		t.Error("a one-pass decoder declined a document of the kind the AWS SDK sends")
	}
	if (&receiveMessageInput{}).decodeFast([]byte(`{"QueueUrl":"a\"b"}`)) {
		t.Error("decodeFast accepted an escape it does not decode")
	}
}

func TestFastDecodeRepeatedMembers(t *testing.T) {
	doc := []byte(`{"Entries":[{"Id":"a","MessageAttributes":{"x":{"DataType":"String","StringValue":"1"}},"MessageAttributes":{"y":{"DataType":"String","StringValue":"2"}}}]}`)
	var fast, slow sendMessageBatchInput
	if !fast.decodeFast(doc) {
		t.Fatal("declined")
	}
	json.Unmarshal(doc, &slow)
	if diff := cmp.Diff(slow, fast); diff != "" {
		t.Errorf("repeated members (-json +fast):\n%s", diff)
	}
}
