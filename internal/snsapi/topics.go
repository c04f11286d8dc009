package snsapi

import (
	"errors"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

// listPage is how many topics or subscriptions a list call returns, as SNS.
const listPage = 100

func (h *Handler) createTopic(r *awswire.Request) (any, error) {
	var in createTopicInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, missing("Name")
	}
	fifo := strings.HasSuffix(in.Name, ".fifo")
	cfg := sluice.TopicConfig{Name: in.Name, Type: sluice.Standard}
	for k, v := range in.Attributes {
		switch k {
		case "FifoTopic":
			if strings.EqualFold(v, "true") != fifo {
				return nil, invalidParameter("Invalid parameter: Fifo Topic names must end with .fifo and Non fifo topic names must not end with .fifo")
			}
		default:
			var u sluice.TopicUpdate
			if err := topicUpdate(&u, k, v); err != nil {
				return nil, err
			}
			applyTopicUpdate(&cfg, u)
		}
	}
	if fifo {
		if !strings.EqualFold(in.Attributes["FifoTopic"], "true") {
			return nil, invalidParameter("Invalid parameter: Fifo Topic names must end with .fifo and Non fifo topic names must not end with .fifo")
		}
		cfg.Type = sluice.FIFO
	}
	if len(in.Tags) > 0 {
		cfg.Tags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			cfg.Tags[t.Key] = t.Value
		}
	}
	if _, _, err := h.engine.CreateTopic(r.HTTP.Context(), cfg); err != nil {
		return nil, err
	}
	return topicARNOutput{TopicArn: h.topicARN(in.Name)}, nil
}

func (h *Handler) deleteTopic(r *awswire.Request) (any, error) {
	var in topicInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	err = h.engine.DeleteTopic(r.HTTP.Context(), name)
	if errors.Is(err, sluice.ErrTopicNotFound) {
		return nil, nil // deleting a missing topic succeeds, as in SNS
	}
	return nil, err
}

func (h *Handler) listTopics(r *awswire.Request) (any, error) {
	var in pageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	ts, err := h.engine.ListTopics(r.HTTP.Context(), "", after, listPage+1)
	if err != nil {
		return nil, err
	}
	var out listTopicsOutput
	if len(ts) > listPage {
		ts = ts[:listPage]
		out.NextToken = encodeToken(ts[listPage-1].Name)
	}
	for _, t := range ts {
		out.Topics = append(out.Topics, topicARNOutput{TopicArn: h.topicARN(t.Name)})
	}
	return out, nil
}

func (h *Handler) getTopicAttributes(r *awswire.Request) (any, error) {
	var in topicInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	t, err := h.engine.GetTopic(ctx, name)
	if err != nil {
		return nil, err
	}
	confirmed, pending := 0, 0
	after := ""
	for {
		subs, err := h.engine.ListSubscriptions(ctx, name, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			if s.Confirmed {
				confirmed++
			} else {
				pending++
			}
		}
		if len(subs) < 1000 {
			break
		}
		after = subs[len(subs)-1].ID
	}
	attrs := map[string]string{
		"TopicArn":                h.topicARN(name),
		"Owner":                   h.aws.Account,
		"DisplayName":             t.DisplayName,
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsPending":    strconv.Itoa(pending),
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":4}}}`,
	}
	if t.Policy != "" {
		attrs["Policy"] = t.Policy
	}
	if t.DeliveryPolicy != "" {
		attrs["DeliveryPolicy"] = t.DeliveryPolicy
	}
	if t.Type == sluice.FIFO {
		attrs["FifoTopic"] = "true"
		attrs["ContentBasedDeduplication"] = strconv.FormatBool(t.ContentBasedDedup)
	}
	return attributesOutput{Attributes: attrs}, nil
}

// topicUpdate applies one settable topic attribute to u.
func topicUpdate(u *sluice.TopicUpdate, name, value string) error {
	switch name {
	case "DisplayName":
		u.DisplayName = &value
	case "Policy":
		u.Policy = &value
	case "DeliveryPolicy":
		u.DeliveryPolicy = &value
	case "ContentBasedDeduplication":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return invalidParameter("Invalid parameter: Attributes Reason: ContentBasedDeduplication must be true or false")
		}
		u.ContentBasedDedup = &b
	default:
		return invalidParameter("Invalid parameter: AttributeName Reason: %s is not a topic attribute Sluice supports", name)
	}
	return nil
}

func applyTopicUpdate(c *sluice.TopicConfig, u sluice.TopicUpdate) {
	if u.ContentBasedDedup != nil {
		c.ContentBasedDedup = *u.ContentBasedDedup
	}
	for _, f := range []struct{ dst, src *string }{{&c.DisplayName, u.DisplayName}, {&c.Policy, u.Policy}, {&c.DeliveryPolicy, u.DeliveryPolicy}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
}

func (h *Handler) setTopicAttributes(r *awswire.Request) (any, error) {
	var in setAttributeInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	if in.AttributeName == "" {
		return nil, missing("AttributeName")
	}
	var u sluice.TopicUpdate
	if err := topicUpdate(&u, in.AttributeName, in.AttributeValue); err != nil {
		return nil, err
	}
	_, err = h.engine.UpdateTopic(r.HTTP.Context(), name, u)
	return nil, err
}

// resourceTopic returns the topic a tagging call names.
func resourceTopic(arn string) (string, error) { return topicOf("ResourceArn", arn) }

func (h *Handler) tagResource(r *awswire.Request) (any, error) {
	var in resourceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := resourceTopic(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags := make(map[string]string, len(in.Tags))
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	if err := h.engine.TagTopic(r.HTTP.Context(), name, tags); errors.Is(err, sluice.ErrTopicNotFound) {
		return nil, &awswire.Error{Code: "ResourceNotFound", Status: 404, Message: "Resource does not exist"}
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Handler) untagResource(r *awswire.Request) (any, error) {
	var in resourceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := resourceTopic(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := h.engine.UntagTopic(r.HTTP.Context(), name, in.TagKeys); errors.Is(err, sluice.ErrTopicNotFound) {
		return nil, &awswire.Error{Code: "ResourceNotFound", Status: 404, Message: "Resource does not exist"}
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Handler) listTagsForResource(r *awswire.Request) (any, error) {
	var in resourceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := resourceTopic(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t, err := h.engine.GetTopic(r.HTTP.Context(), name)
	if errors.Is(err, sluice.ErrTopicNotFound) {
		return nil, &awswire.Error{Code: "ResourceNotFound", Status: 404, Message: "Resource does not exist"}
	} else if err != nil {
		return nil, err
	}
	out := listTagsOutput{Tags: []tag{}}
	for k, v := range t.Tags {
		out.Tags = append(out.Tags, tag{Key: k, Value: v})
	}
	return out, nil
}
