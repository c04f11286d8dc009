package sqsapi

// Inputs and outputs of the SQS operations. `json` tags give the AWS JSON
// 1.0 member names, `query` tags the Query protocol's (see awswire).

type attributeValue struct {
	StringValue      *string  `json:"StringValue,omitempty" query:"StringValue"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty" query:"BinaryValue"`
	StringListValues []string `json:"StringListValues,omitempty" query:"StringListValue,flat"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty" query:"BinaryListValue,flat"`
	DataType         string   `json:"DataType" query:"DataType"`
}

type createQueueInput struct {
	QueueName  string            `json:"QueueName" query:"QueueName"`
	Attributes map[string]string `json:"Attributes" query:"Attribute,flat,key=Name,value=Value"`
	Tags       map[string]string `json:"tags" query:"Tag,flat,key=Key,value=Value"`
}

type queueURLOutput struct {
	QueueUrl string `json:"QueueUrl" query:"QueueUrl"`
}

type getQueueURLInput struct {
	QueueName              string `json:"QueueName" query:"QueueName"`
	QueueOwnerAWSAccountId string `json:"QueueOwnerAWSAccountId" query:"QueueOwnerAWSAccountId"`
}

type listQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix" query:"QueueNamePrefix"`
	NextToken       string `json:"NextToken" query:"NextToken"`
	MaxResults      *int   `json:"MaxResults" query:"MaxResults"`
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty" query:"QueueUrl,flat"`
	NextToken string   `json:"NextToken,omitempty" query:"NextToken"`
}

type listDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls" query:"QueueUrl,flat"`
	NextToken string   `json:"NextToken,omitempty" query:"NextToken"`
}

type queueInput struct {
	QueueUrl string `json:"QueueUrl" query:"QueueUrl"`
}

type listDeadLetterSourceQueuesInput struct {
	QueueUrl   string `json:"QueueUrl" query:"QueueUrl"`
	NextToken  string `json:"NextToken" query:"NextToken"`
	MaxResults *int   `json:"MaxResults" query:"MaxResults"`
}

type getQueueAttributesInput struct {
	QueueUrl       string   `json:"QueueUrl" query:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames" query:"AttributeName,flat"`
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty" query:"Attribute,flat,key=Name,value=Value"`
}

type setQueueAttributesInput struct {
	QueueUrl   string            `json:"QueueUrl" query:"QueueUrl"`
	Attributes map[string]string `json:"Attributes" query:"Attribute,flat,key=Name,value=Value"`
}

type tagQueueInput struct {
	QueueUrl string            `json:"QueueUrl" query:"QueueUrl"`
	Tags     map[string]string `json:"Tags" query:"Tag,flat,key=Key,value=Value"`
}

type untagQueueInput struct {
	QueueUrl string   `json:"QueueUrl" query:"QueueUrl"`
	TagKeys  []string `json:"TagKeys" query:"TagKey,flat"`
}

type listQueueTagsOutput struct {
	Tags map[string]string `json:"Tags,omitempty" query:"Tag,flat,key=Key,value=Value"`
}

type addPermissionInput struct {
	QueueUrl      string   `json:"QueueUrl" query:"QueueUrl"`
	Label         string   `json:"Label" query:"Label"`
	AWSAccountIds []string `json:"AWSAccountIds" query:"AWSAccountId,flat"`
	Actions       []string `json:"Actions" query:"ActionName,flat"`
}

type removePermissionInput struct {
	QueueUrl string `json:"QueueUrl" query:"QueueUrl"`
	Label    string `json:"Label" query:"Label"`
}

type sendMessageInput struct {
	QueueUrl                string                    `json:"QueueUrl" query:"QueueUrl"`
	MessageBody             *string                   `json:"MessageBody" query:"MessageBody"`
	DelaySeconds            *int                      `json:"DelaySeconds" query:"DelaySeconds"`
	MessageAttributes       map[string]attributeValue `json:"MessageAttributes" query:"MessageAttribute,flat,key=Name,value=Value"`
	MessageSystemAttributes map[string]attributeValue `json:"MessageSystemAttributes" query:"MessageSystemAttribute,flat,key=Name,value=Value"`
	MessageDeduplicationId  string                    `json:"MessageDeduplicationId" query:"MessageDeduplicationId"`
	MessageGroupId          string                    `json:"MessageGroupId" query:"MessageGroupId"`
}

type sendMessageOutput struct {
	MessageId                    string `json:"MessageId" query:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody" query:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty" query:"MD5OfMessageAttributes"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty" query:"MD5OfMessageSystemAttributes"`
	SequenceNumber               string `json:"SequenceNumber,omitempty" query:"SequenceNumber"`
}

type sendBatchEntry struct {
	Id                      string                    `json:"Id" query:"Id"`
	MessageBody             *string                   `json:"MessageBody" query:"MessageBody"`
	DelaySeconds            *int                      `json:"DelaySeconds" query:"DelaySeconds"`
	MessageAttributes       map[string]attributeValue `json:"MessageAttributes" query:"MessageAttribute,flat,key=Name,value=Value"`
	MessageSystemAttributes map[string]attributeValue `json:"MessageSystemAttributes" query:"MessageSystemAttribute,flat,key=Name,value=Value"`
	MessageDeduplicationId  string                    `json:"MessageDeduplicationId" query:"MessageDeduplicationId"`
	MessageGroupId          string                    `json:"MessageGroupId" query:"MessageGroupId"`
}

type sendMessageBatchInput struct {
	QueueUrl string           `json:"QueueUrl" query:"QueueUrl"`
	Entries  []sendBatchEntry `json:"Entries" query:"SendMessageBatchRequestEntry,flat"`
}

type sendBatchResult struct {
	Id                           string `json:"Id" query:"Id"`
	MessageId                    string `json:"MessageId" query:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody" query:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty" query:"MD5OfMessageAttributes"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty" query:"MD5OfMessageSystemAttributes"`
	SequenceNumber               string `json:"SequenceNumber,omitempty" query:"SequenceNumber"`
}

type batchError struct {
	Id          string `json:"Id" query:"Id"`
	SenderFault bool   `json:"SenderFault" query:"SenderFault"`
	Code        string `json:"Code" query:"Code"`
	Message     string `json:"Message,omitempty" query:"Message"`
}

type sendMessageBatchOutput struct {
	Successful []sendBatchResult `json:"Successful" query:"SendMessageBatchResultEntry,flat"`
	Failed     []batchError      `json:"Failed" query:"BatchResultErrorEntry,flat"`
}

type receiveMessageInput struct {
	QueueUrl                    string   `json:"QueueUrl" query:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames" query:"AttributeName,flat"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames" query:"MessageSystemAttributeName,flat"`
	MessageAttributeNames       []string `json:"MessageAttributeNames" query:"MessageAttributeName,flat"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages" query:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout" query:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds" query:"WaitTimeSeconds"`
	ReceiveRequestAttemptId     string   `json:"ReceiveRequestAttemptId" query:"ReceiveRequestAttemptId"`
}

type message struct {
	MessageId              string                    `json:"MessageId" query:"MessageId"`
	ReceiptHandle          string                    `json:"ReceiptHandle" query:"ReceiptHandle"`
	MD5OfBody              string                    `json:"MD5OfBody" query:"MD5OfBody"`
	Body                   string                    `json:"Body" query:"Body"`
	Attributes             map[string]string         `json:"Attributes,omitempty" query:"Attribute,flat,key=Name,value=Value"`
	MD5OfMessageAttributes string                    `json:"MD5OfMessageAttributes,omitempty" query:"MD5OfMessageAttributes"`
	MessageAttributes      map[string]attributeValue `json:"MessageAttributes,omitempty" query:"MessageAttribute,flat,key=Name,value=Value"`
}

type receiveMessageOutput struct {
	Messages []message `json:"Messages,omitempty" query:"Message,flat"`
}

type deleteMessageInput struct {
	QueueUrl      string `json:"QueueUrl" query:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle" query:"ReceiptHandle"`
}

type receiptEntry struct {
	Id                string `json:"Id" query:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle" query:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout" query:"VisibilityTimeout"`
}

type deleteMessageBatchInput struct {
	QueueUrl string         `json:"QueueUrl" query:"QueueUrl"`
	Entries  []receiptEntry `json:"Entries" query:"DeleteMessageBatchRequestEntry,flat"`
}

type changeVisibilityBatchInput struct {
	QueueUrl string         `json:"QueueUrl" query:"QueueUrl"`
	Entries  []receiptEntry `json:"Entries" query:"ChangeMessageVisibilityBatchRequestEntry,flat"`
}

type batchID struct {
	Id string `json:"Id" query:"Id"`
}

type deleteMessageBatchOutput struct {
	Successful []batchID    `json:"Successful" query:"DeleteMessageBatchResultEntry,flat"`
	Failed     []batchError `json:"Failed" query:"BatchResultErrorEntry,flat"`
}

type changeVisibilityBatchOutput struct {
	Successful []batchID    `json:"Successful" query:"ChangeMessageVisibilityBatchResultEntry,flat"`
	Failed     []batchError `json:"Failed" query:"BatchResultErrorEntry,flat"`
}

type changeVisibilityInput struct {
	QueueUrl          string `json:"QueueUrl" query:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle" query:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout" query:"VisibilityTimeout"`
}

type startMoveTaskInput struct {
	SourceArn                    string `json:"SourceArn" query:"SourceArn"`
	DestinationArn               string `json:"DestinationArn" query:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int   `json:"MaxNumberOfMessagesPerSecond" query:"MaxNumberOfMessagesPerSecond"`
}

type taskHandleOutput struct {
	TaskHandle string `json:"TaskHandle" query:"TaskHandle"`
}

type cancelMoveTaskInput struct {
	TaskHandle string `json:"TaskHandle" query:"TaskHandle"`
}

type cancelMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved" query:"ApproximateNumberOfMessagesMoved"`
}

type listMoveTasksInput struct {
	SourceArn  string `json:"SourceArn" query:"SourceArn"`
	MaxResults *int   `json:"MaxResults" query:"MaxResults"`
}

type moveTaskEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty" query:"TaskHandle"`
	Status                            string `json:"Status" query:"Status"`
	SourceArn                         string `json:"SourceArn" query:"SourceArn"`
	DestinationArn                    string `json:"DestinationArn,omitempty" query:"DestinationArn"`
	MaxNumberOfMessagesPerSecond      *int   `json:"MaxNumberOfMessagesPerSecond,omitempty" query:"MaxNumberOfMessagesPerSecond"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved" query:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove *int64 `json:"ApproximateNumberOfMessagesToMove,omitempty" query:"ApproximateNumberOfMessagesToMove"`
	FailureReason                     string `json:"FailureReason,omitempty" query:"FailureReason"`
	StartedTimestamp                  int64  `json:"StartedTimestamp" query:"StartedTimestamp"`
}

type listMoveTasksOutput struct {
	Results []moveTaskEntry `json:"Results" query:"ListMessageMoveTasksResultEntry,flat"`
}
