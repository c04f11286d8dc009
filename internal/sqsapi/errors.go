package sqsapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

// SQS errors, with their JSON shape, Query code and status as AWS sends them.
var (
	errQueueDoesNotExist = &awswire.Error{Code: "QueueDoesNotExist", QueryCode: "AWS.SimpleQueueService.NonExistentQueue",
		Status: http.StatusBadRequest, Message: "The specified queue does not exist."}
	errEmptyBatch = &awswire.Error{Code: "EmptyBatchRequest", QueryCode: "AWS.SimpleQueueService.EmptyBatchRequest",
		Status: http.StatusBadRequest, Message: "There should be at least one entry in the request."}
	errInvalidBatchEntryID = &awswire.Error{Code: "InvalidBatchEntryId", QueryCode: "AWS.SimpleQueueService.InvalidBatchEntryId",
		Status: http.StatusBadRequest, Message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
)

func queueExists(name string) *awswire.Error {
	return &awswire.Error{Code: "QueueNameExists", QueryCode: "QueueAlreadyExists", Status: http.StatusBadRequest,
		Message: "A queue already exists with the same name and a different value for attribute(s) of " + name + "."}
}

func tooManyEntries(n int) *awswire.Error {
	return &awswire.Error{Code: "TooManyEntriesInBatchRequest", QueryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		Status: http.StatusBadRequest, Message: "Maximum number of entries per request are " + strconv.Itoa(maxBatch) + ". You have sent " + strconv.Itoa(n) + "."}
}

func idsNotDistinct(id string) *awswire.Error {
	return &awswire.Error{Code: "BatchEntryIdsNotDistinct", QueryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
		Status: http.StatusBadRequest, Message: "Id " + id + " repeated."}
}

func batchTooLong(size, limit int) *awswire.Error {
	return &awswire.Error{Code: "BatchRequestTooLong", QueryCode: "AWS.SimpleQueueService.BatchRequestTooLong", Status: http.StatusBadRequest,
		Message: "Batch requests cannot be longer than " + strconv.Itoa(limit) + " bytes. You have sent " + strconv.Itoa(size) + " bytes."}
}

func receiptInvalid(receipt string) *awswire.Error {
	return &awswire.Error{Code: "ReceiptHandleIsInvalid", Status: http.StatusNotFound,
		Message: "The input receipt handle \"" + receipt + "\" is not a valid receipt handle."}
}

func notInFlight(receipt string) *awswire.Error {
	return awswire.InvalidParameterValue("ReceiptHandle", receipt, "Message does not exist or is not available for visibility timeout change.")
}

func invalidAttributeName(name string) *awswire.Error {
	return &awswire.Error{Code: "InvalidAttributeName", Status: http.StatusBadRequest, Message: "Unknown Attribute " + name + "."}
}

func invalidAttributeValue(name, reason string) *awswire.Error {
	return awswire.InvalidParameter("Invalid value for the parameter %s. Reason: %s", name, reason)
}

func invalidContents() *awswire.Error {
	return &awswire.Error{Code: "InvalidMessageContents", Status: http.StatusBadRequest,
		Message: "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"}
}

func unsupported(what string) *awswire.Error {
	return &awswire.Error{Code: "UnsupportedOperation", QueryCode: "AWS.SimpleQueueService.UnsupportedOperation",
		Status: http.StatusBadRequest, Message: what}
}

func resourceNotFound(msg string) *awswire.Error {
	return &awswire.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: msg}
}

// errorOf translates an engine error into the SQS error a client gets: the
// one table from package sluice's errors to SQS's. It returns nil for
// errors it does not know, which the caller reports as internal.
func errorOf(ctx context.Context, err error) *awswire.Error {
	var ae *awswire.Error
	var ia *sluice.InvalidArgumentError
	var le *sluice.LimitError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, sluice.ErrQueueNotFound):
		return errQueueDoesNotExist
	case errors.Is(err, sluice.ErrQueueExists):
		return queueExists("the queue")
	case errors.Is(err, sluice.ErrReceiptInvalid):
		return receiptInvalid("")
	case errors.Is(err, sluice.ErrQueueInUse):
		return awswire.InvalidParameter("%s", err.Error())
	case errors.Is(err, sluice.ErrNotDeadLetterQueue):
		return awswire.InvalidParameter("Source queue must be configured as a Dead Letter Queue.")
	case errors.As(err, &ia):
		return awswire.InvalidParameter("Invalid %s: %s.", sqsField(ia.Field), ia.Reason)
	case errors.As(err, &le):
		if le.Field == "body" || le.Field == "messages" {
			return awswire.InvalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", le.Limit)
		}
		if le.Field == "queues" {
			return &awswire.Error{Code: "OverLimit", Status: http.StatusForbidden, Message: le.Error()}
		}
		return awswire.InvalidParameter("One or more parameters are invalid. Reason: %s is %d, over the limit of %d.", sqsField(le.Field), le.Got, le.Limit)
	case errors.Is(err, sluice.ErrUnavailable), errors.Is(err, sluice.ErrClosed),
		errors.Is(context.Cause(ctx), sluice.ErrClosed):
		return awswire.ErrUnavailable
	}
	return nil
}

// sqsField names a native field as SQS does.
func sqsField(f string) string {
	switch f {
	case "visibility_timeout":
		return "VisibilityTimeout"
	case "delay":
		return "DelaySeconds"
	case "retention":
		return "MessageRetentionPeriod"
	case "receive_wait", "wait":
		return "WaitTimeSeconds"
	case "max_message_size":
		return "MaximumMessageSize"
	case "dead_letter.queue", "dead_letter.max_receives":
		return "RedrivePolicy"
	case "content_based_dedup":
		return "ContentBasedDeduplication"
	case "dedup_scope":
		return "DeduplicationScope"
	case "throughput_limit":
		return "FifoThroughputLimit"
	case "policy":
		return "Policy"
	case "redrive_allow_policy":
		return "RedriveAllowPolicy"
	case "name":
		return "QueueName"
	case "tenant", "group_id":
		return "MessageGroupId"
	case "dedup_id":
		return "MessageDeduplicationId"
	case "tags":
		return "Tags"
	}
	return f
}
