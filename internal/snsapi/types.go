package snsapi

// Inputs and outputs of the SNS operations, by their Query member names
// (SNS speaks only the Query protocol; lists are "member" lists and maps
// "entry" maps).

type tag struct {
	Key   string `query:"Key"`
	Value string `query:"Value"`
}

type attributeValue struct {
	DataType    string  `query:"DataType"`
	StringValue *string `query:"StringValue"`
	BinaryValue []byte  `query:"BinaryValue"`
}

type createTopicInput struct {
	Name       string            `query:"Name"`
	Attributes map[string]string `query:"Attributes"`
	Tags       []tag             `query:"Tags"`
}

type topicARNOutput struct {
	TopicArn string `query:"TopicArn"`
}

type topicInput struct {
	TopicArn string `query:"TopicArn"`
}

type pageInput struct {
	TopicArn  string `query:"TopicArn"`
	NextToken string `query:"NextToken"`
}

type listTopicsOutput struct {
	Topics    []topicARNOutput `query:"Topics"`
	NextToken string           `json:",omitempty" query:"NextToken"`
}

type attributesOutput struct {
	Attributes map[string]string `query:"Attributes"`
}

type setAttributeInput struct {
	TopicArn        string `query:"TopicArn"`
	SubscriptionArn string `query:"SubscriptionArn"`
	AttributeName   string `query:"AttributeName"`
	AttributeValue  string `query:"AttributeValue"`
}

type subscribeInput struct {
	TopicArn              string            `query:"TopicArn"`
	Protocol              string            `query:"Protocol"`
	Endpoint              string            `query:"Endpoint"`
	Attributes            map[string]string `query:"Attributes"`
	ReturnSubscriptionArn bool              `query:"ReturnSubscriptionArn"`
}

type subscriptionARNOutput struct {
	SubscriptionArn string `query:"SubscriptionArn"`
}

type confirmInput struct {
	TopicArn string `query:"TopicArn"`
	Token    string `query:"Token"`
}

type subscriptionInput struct {
	SubscriptionArn string `query:"SubscriptionArn"`
}

type subscriptionEntry struct {
	SubscriptionArn string `query:"SubscriptionArn"`
	Owner           string `query:"Owner"`
	Protocol        string `query:"Protocol"`
	Endpoint        string `query:"Endpoint"`
	TopicArn        string `query:"TopicArn"`
}

type listSubscriptionsOutput struct {
	Subscriptions []subscriptionEntry `query:"Subscriptions"`
	NextToken     string              `json:",omitempty" query:"NextToken"`
}

type publishInput struct {
	TopicArn               string                    `query:"TopicArn"`
	TargetArn              string                    `query:"TargetArn"`
	PhoneNumber            string                    `query:"PhoneNumber"`
	Message                *string                   `query:"Message"`
	Subject                string                    `query:"Subject"`
	MessageStructure       string                    `query:"MessageStructure"`
	MessageAttributes      map[string]attributeValue `query:"MessageAttributes,key=Name,value=Value"`
	MessageDeduplicationId string                    `query:"MessageDeduplicationId"`
	MessageGroupId         string                    `query:"MessageGroupId"`
}

type publishOutput struct {
	MessageId      string `query:"MessageId"`
	SequenceNumber string `json:",omitempty" query:"SequenceNumber"`
}

type publishBatchEntry struct {
	Id                     string                    `query:"Id"`
	Message                *string                   `query:"Message"`
	Subject                string                    `query:"Subject"`
	MessageStructure       string                    `query:"MessageStructure"`
	MessageAttributes      map[string]attributeValue `query:"MessageAttributes,key=Name,value=Value"`
	MessageDeduplicationId string                    `query:"MessageDeduplicationId"`
	MessageGroupId         string                    `query:"MessageGroupId"`
}

type publishBatchInput struct {
	TopicArn                   string              `query:"TopicArn"`
	PublishBatchRequestEntries []publishBatchEntry `query:"PublishBatchRequestEntries"`
}

type publishBatchResult struct {
	Id             string `query:"Id"`
	MessageId      string `query:"MessageId"`
	SequenceNumber string `json:",omitempty" query:"SequenceNumber"`
}

type batchError struct {
	Id          string `query:"Id"`
	Code        string `query:"Code"`
	Message     string `query:"Message"`
	SenderFault bool   `query:"SenderFault"`
}

type publishBatchOutput struct {
	Successful []publishBatchResult `query:"Successful"`
	Failed     []batchError         `query:"Failed"`
}

type resourceInput struct {
	ResourceArn string   `query:"ResourceArn"`
	Tags        []tag    `query:"Tags"`
	TagKeys     []string `query:"TagKeys"`
}

type listTagsOutput struct {
	Tags []tag `query:"Tags"`
}
