package snsapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

// queueOf returns the queue an SQS ARN names.
func queueOf(param, arn string) (string, error) {
	svc, _, _, name, ok := awswire.ParseARN(arn)
	if !ok || svc != "sqs" {
		return "", invalidParameter("Invalid parameter: %s Reason: %q is not an SQS queue ARN", param, arn)
	}
	return name, nil
}

// deliveryPolicy is the part of an SNS DeliveryPolicy Sluice applies.
type deliveryPolicy struct {
	Healthy *struct {
		NumRetries     *int `json:"numRetries"`
		MinDelayTarget *int `json:"minDelayTarget"`
		MaxDelayTarget *int `json:"maxDelayTarget"`
	} `json:"healthyRetryPolicy"`
	Throttle *struct {
		MaxReceivesPerSecond *float64 `json:"maxReceivesPerSecond"`
	} `json:"throttlePolicy"`
}

// subscriptionUpdate applies one SNS subscription attribute to u.
func subscriptionUpdate(u *sluice.SubscriptionUpdate, name, value string) error {
	switch name {
	case "RawMessageDelivery":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return invalidParameter("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		u.Raw = &b
	case "FilterPolicy":
		u.FilterPolicy = &value
	case "FilterPolicyScope":
		u.FilterScope = &value
	case "RedrivePolicy":
		dlq := ""
		if strings.TrimSpace(value) != "" {
			var p struct {
				Target string `json:"deadLetterTargetArn"`
			}
			if err := json.Unmarshal([]byte(value), &p); err != nil || p.Target == "" {
				return invalidParameter("Invalid parameter: RedrivePolicy: deadLetterTargetArn is missing or the policy is not JSON")
			}
			q, err := queueOf("RedrivePolicy", p.Target)
			if err != nil {
				return err
			}
			dlq = q
		}
		u.DeadLetterQueue = &dlq
	case "DeliveryPolicy":
		var p deliveryPolicy
		if err := json.Unmarshal([]byte(value), &p); err != nil {
			return invalidParameter("Invalid parameter: DeliveryPolicy: the policy is not JSON")
		}
		var d sluice.DeliveryPolicy
		if h := p.Healthy; h != nil {
			if h.NumRetries != nil {
				d.MaxAttempts = *h.NumRetries + 1
			}
			if h.MinDelayTarget != nil {
				d.MinBackoff = time.Duration(*h.MinDelayTarget) * time.Second
			}
			if h.MaxDelayTarget != nil {
				d.MaxBackoff = time.Duration(*h.MaxDelayTarget) * time.Second
			}
		}
		if t := p.Throttle; t != nil && t.MaxReceivesPerSecond != nil {
			d.MaxRate = *t.MaxReceivesPerSecond
		}
		d = d.WithDefaults()
		u.Delivery = &d
	default:
		return invalidParameter("Invalid parameter: AttributeName Reason: %s is not a subscription attribute Sluice supports", name)
	}
	return nil
}

func (h *Handler) subscribe(r *awswire.Request) (any, error) {
	var in subscribeInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	topic, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	s := sluice.Subscription{Topic: topic, Endpoint: in.Endpoint}
	switch in.Protocol {
	case "sqs":
		if s.Endpoint, err = queueOf("Endpoint", in.Endpoint); err != nil {
			return nil, err
		}
		s.Protocol = sluice.ProtocolQueue
	case "http", "https":
		s.Protocol = sluice.Protocol(in.Protocol)
	case "":
		return nil, missing("Protocol")
	default:
		return nil, invalidParameter("Invalid parameter: Amazon SNS does not support this protocol string: %s", in.Protocol)
	}
	var u sluice.SubscriptionUpdate
	for k, v := range in.Attributes {
		if err := subscriptionUpdate(&u, k, v); err != nil {
			return nil, err
		}
	}
	if u.Raw != nil {
		s.Raw = *u.Raw
	}
	if u.FilterPolicy != nil {
		s.FilterPolicy = *u.FilterPolicy
	}
	if u.FilterScope != nil {
		s.FilterScope = *u.FilterScope
	}
	if u.DeadLetterQueue != nil {
		s.DeadLetterQueue = *u.DeadLetterQueue
	}
	if u.Delivery != nil {
		s.Delivery = *u.Delivery
	}
	sub, err := h.engine.Subscribe(r.HTTP.Context(), s)
	if err != nil {
		return nil, err
	}
	if !sub.Confirmed && !in.ReturnSubscriptionArn {
		return subscriptionARNOutput{SubscriptionArn: "pending confirmation"}, nil
	}
	return subscriptionARNOutput{SubscriptionArn: h.subscriptionARN(sub.ID)}, nil
}

func (h *Handler) confirmSubscription(r *awswire.Request) (any, error) {
	var in confirmInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	topic, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	if in.Token == "" {
		return nil, missing("Token")
	}
	sub, err := h.engine.ConfirmSubscription(r.HTTP.Context(), topic, in.Token)
	if err != nil {
		return nil, err
	}
	return subscriptionARNOutput{SubscriptionArn: h.subscriptionARN(sub.ID)}, nil
}

func (h *Handler) unsubscribe(r *awswire.Request) (any, error) {
	var in subscriptionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	id, err := subscriptionID(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	return nil, h.engine.Unsubscribe(r.HTTP.Context(), id)
}

func (h *Handler) entry(s sluice.Subscription) subscriptionEntry {
	e := subscriptionEntry{SubscriptionArn: h.subscriptionARN(s.ID), Owner: h.aws.Account, Protocol: string(s.Protocol),
		Endpoint: s.Endpoint, TopicArn: h.topicARN(s.Topic)}
	if s.Protocol == sluice.ProtocolQueue {
		e.Protocol, e.Endpoint = "sqs", h.aws.ARN("sqs", s.Endpoint)
	}
	if !s.Confirmed {
		e.SubscriptionArn = "PendingConfirmation"
	}
	return e
}

func (h *Handler) listSubs(r *awswire.Request, topic, token string) (any, error) {
	after, err := decodeToken(token)
	if err != nil {
		return nil, err
	}
	subs, err := h.engine.ListSubscriptions(r.HTTP.Context(), topic, after, listPage+1)
	if err != nil {
		return nil, err
	}
	var out listSubscriptionsOutput
	if len(subs) > listPage {
		subs = subs[:listPage]
		out.NextToken = encodeToken(subs[listPage-1].ID)
	}
	for _, s := range subs {
		out.Subscriptions = append(out.Subscriptions, h.entry(s))
	}
	return out, nil
}

func (h *Handler) listSubscriptions(r *awswire.Request) (any, error) {
	var in pageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.listSubs(r, "", in.NextToken)
}

func (h *Handler) listSubscriptionsByTopic(r *awswire.Request) (any, error) {
	var in pageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	topic, err := topicOf("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	return h.listSubs(r, topic, in.NextToken)
}

func (h *Handler) getSubscriptionAttributes(r *awswire.Request) (any, error) {
	var in subscriptionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	id, err := subscriptionID(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	s, err := h.engine.GetSubscription(r.HTTP.Context(), id)
	if err != nil {
		return nil, err
	}
	e := h.entry(s)
	attrs := map[string]string{
		"SubscriptionArn": h.subscriptionARN(s.ID), "TopicArn": e.TopicArn, "Owner": e.Owner,
		"Protocol": e.Protocol, "Endpoint": e.Endpoint,
		"PendingConfirmation":          strconv.FormatBool(!s.Confirmed),
		"ConfirmationWasAuthenticated": strconv.FormatBool(s.Confirmed),
		"RawMessageDelivery":           strconv.FormatBool(s.Raw),
	}
	if s.FilterPolicy != "" {
		attrs["FilterPolicy"] = s.FilterPolicy
		attrs["FilterPolicyScope"] = cmpOr(s.FilterScope, sluice.ScopeAttributes)
	}
	if s.DeadLetterQueue != "" {
		attrs["RedrivePolicy"] = `{"deadLetterTargetArn":"` + h.aws.ARN("sqs", s.DeadLetterQueue) + `"}`
	}
	if s.Protocol != sluice.ProtocolQueue {
		d := s.Delivery.WithDefaults()
		b, _ := json.Marshal(map[string]any{"healthyRetryPolicy": map[string]any{
			"numRetries": d.MaxAttempts - 1, "minDelayTarget": int(d.MinBackoff / time.Second), "maxDelayTarget": int(d.MaxBackoff / time.Second)}})
		attrs["EffectiveDeliveryPolicy"] = string(b)
	}
	return attributesOutput{Attributes: attrs}, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (h *Handler) setSubscriptionAttributes(r *awswire.Request) (any, error) {
	var in setAttributeInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	id, err := subscriptionID(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	if in.AttributeName == "" {
		return nil, missing("AttributeName")
	}
	var u sluice.SubscriptionUpdate
	if err := subscriptionUpdate(&u, in.AttributeName, in.AttributeValue); err != nil {
		return nil, err
	}
	_, err = h.engine.UpdateSubscription(r.HTTP.Context(), id, u)
	return nil, err
}
