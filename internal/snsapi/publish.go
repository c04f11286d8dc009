package snsapi

import (
	"encoding/json"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

// maxBatch is SNS's limit on PublishBatch entries.
const maxBatch = 10

// publishMessage builds one engine publish from SNS's fields.
func publishMessage(t sluice.TopicConfig, msg *string, subject, structure string, attrs map[string]attributeValue, dedup, group string) (sluice.PublishInput, error) {
	var p sluice.PublishInput
	if msg == nil || *msg == "" {
		return p, missing("Message")
	}
	body := *msg
	if structure == "json" {
		var per map[string]string
		if err := json.Unmarshal([]byte(body), &per); err != nil || per["default"] == "" {
			return p, invalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
		// One body reaches every subscription: "sqs" for all when given, else "default".
		body = cmpOr(per["sqs"], per["default"])
	} else if structure != "" {
		return p, invalidParameter("Invalid parameter: MessageStructure must be json")
	}
	a, err := attributes(attrs)
	if err != nil {
		return p, err
	}
	p = sluice.PublishInput{Body: []byte(body), Subject: subject, Attributes: a}
	if t.Type == sluice.FIFO {
		if group == "" {
			return p, invalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		p.GroupID, p.DedupID = group, dedup
	} else {
		if dedup != "" {
			return p, invalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
		}
		p.Tenant = group // forwarded to standard queues as their tenant
	}
	return p, nil
}

func sequence(t sluice.TopicConfig, seq uint64) string {
	if t.Type != sluice.FIFO {
		return ""
	}
	return strconv.FormatUint(seq, 10)
}

func (h *Handler) publish(r *awswire.Request) (any, error) {
	var in publishInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.PhoneNumber != "" {
		return nil, invalidParameter("Invalid parameter: PhoneNumber Reason: SMS is not supported by Sluice")
	}
	arn := cmpOr(in.TopicArn, in.TargetArn)
	topic, err := topicOf("TopicArn or TargetArn", arn)
	if err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	t, err := h.engine.GetTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	p, err := publishMessage(t, in.Message, in.Subject, in.MessageStructure, in.MessageAttributes, in.MessageDeduplicationId, in.MessageGroupId)
	if err != nil {
		return nil, err
	}
	res, err := h.engine.Publish(ctx, topic, []sluice.PublishInput{p})
	if err != nil {
		return nil, err
	}
	return publishOutput{MessageId: res[0].ID, SequenceNumber: sequence(t, res[0].Sequence)}, nil
}

func (h *Handler) publishBatch(r *awswire.Request) (any, error) {
	var in publishBatchInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	topic, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	entries := in.PublishBatchRequestEntries
	switch {
	case len(entries) == 0:
		return nil, &awswire.Error{Code: "EmptyBatchRequest", Status: 400, Message: "The batch request doesn't contain any entries."}
	case len(entries) > maxBatch:
		return nil, &awswire.Error{Code: "TooManyEntriesInBatchRequest", Status: 400, Message: "The batch request contains more entries than permissible."}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Id == "" || len(e.Id) > 80 {
			return nil, &awswire.Error{Code: "InvalidBatchEntryId", Status: 400, Message: "The Id of a batch entry in a batch request doesn't abide by the specification."}
		}
		if seen[e.Id] {
			return nil, &awswire.Error{Code: "BatchEntryIdsNotDistinct", Status: 400, Message: "Two or more batch entries in the request have the same Id."}
		}
		seen[e.Id] = true
	}
	ctx := r.HTTP.Context()
	t, err := h.engine.GetTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := publishBatchOutput{Successful: []publishBatchResult{}, Failed: []batchError{}}
	// Entries are published one by one so that each gets its own outcome;
	// FIFO order is the entries' order.
	for _, e := range entries {
		p, err := publishMessage(t, e.Message, e.Subject, e.MessageStructure, e.MessageAttributes, e.MessageDeduplicationId, e.MessageGroupId)
		var res []sluice.PublishResult
		if err == nil {
			res, err = h.engine.Publish(ctx, topic, []sluice.PublishInput{p})
		}
		if err != nil {
			ae := errorOf(ctx, err)
			if ae == nil {
				return nil, err
			}
			out.Failed = append(out.Failed, batchError{Id: e.Id, Code: ae.ClientCode(), Message: ae.Message, SenderFault: !ae.Receiver})
			continue
		}
		out.Successful = append(out.Successful, publishBatchResult{Id: e.Id, MessageId: res[0].ID, SequenceNumber: sequence(t, res[0].Sequence)})
	}
	return out, nil
}
