// Sluice's SQS and SNS APIs through the AWS SDK for JavaScript v3, against
// the server at $SLUICE_URL (started by jstest_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand,
  DeleteMessageBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ChangeMessageVisibilityCommand,
} from '@aws-sdk/client-sqs';
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, PublishBatchCommand } from '@aws-sdk/client-sns';

const endpoint = process.env.SLUICE_URL;
const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 };
const sqs = new SQSClient(config);
const sns = new SNSClient(config);

test('SQS: send, receive and delete with attributes and MD5 checks', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'js-jobs' }));
  assert.equal(QueueUrl, `${endpoint}/000000000000/js-jobs`);
  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: 'hello from js',
    MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' }, n: { DataType: 'Number.int', StringValue: '7' } },
  }));
  assert.equal(sent.MD5OfMessageBody.length, 32); // the SDK itself checks it against the body
  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl, Entries: [{ Id: 'a', MessageBody: 'one' }, { Id: 'b', MessageBody: 'two', DelaySeconds: 901 }],
  }));
  assert.equal(batch.Successful.length, 1);
  assert.equal(batch.Failed[0].Id, 'b');
  assert.equal(batch.Failed[0].Code, 'InvalidParameterValue');

  const got = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
  }));
  assert.equal(got.Messages.length, 2);
  const first = got.Messages.find((m) => m.Body === 'hello from js');
  assert.equal(first.MessageAttributes.n.StringValue, '7');
  assert.equal(first.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.equal(first.Attributes.ApproximateReceiveCount, '1');
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 60 }));
  const del = await sqs.send(new DeleteMessageBatchCommand({
    QueueUrl, Entries: got.Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
  }));
  assert.equal(del.Successful.length, 2);
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  assert.equal(attrs.Attributes.ApproximateNumberOfMessages, '0');
  assert.equal(attrs.Attributes.QueueArn, 'arn:aws:sqs:us-east-1:000000000000:js-jobs');
});

test('SQS: errors clients branch on', async () => {
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'js-nope' })), (err) => {
    assert.equal(err.name, 'QueueDoesNotExist');
    assert.equal(err.$metadata.httpStatusCode, 400);
    return true;
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'js-errors' }));
  await assert.rejects(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })), (err) => {
    assert.match(`${err.name} ${err.Code ?? ''}`, /InvalidParameterValue/);
    return true;
  });
  await assert.rejects(sqs.send(new SendMessageBatchCommand({
    QueueUrl, Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }],
  })), { name: 'BatchEntryIdsNotDistinct' });
});

test('SQS: FIFO order and deduplication', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: 'js-orders.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
  }));
  const ids = [];
  for (const body of ['a', 'b', 'a']) {
    const out = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: 'g' }));
    ids.push(out.MessageId);
  }
  assert.equal(ids[2], ids[0]);
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  assert.deepEqual(got.Messages.map((m) => m.Body), ['a', 'b']);
});

test('SNS: publish fans out to a subscribed queue', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'js-fanout' }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'js-events' }));
  assert.equal(TopicArn, 'arn:aws:sns:us-east-1:000000000000:js-events');
  const sub = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:js-fanout',
    Attributes: { RawMessageDelivery: 'true', FilterPolicy: '{"kind":["order"]}' },
  }));
  assert.ok(sub.SubscriptionArn.startsWith(`${TopicArn}:`));
  await sns.send(new PublishCommand({ TopicArn, Message: 'skipped', MessageAttributes: { kind: { DataType: 'String', StringValue: 'other' } } }));
  const out = await sns.send(new PublishCommand({ TopicArn, Message: 'kept', MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } }));
  assert.ok(out.MessageId);
  const batch = await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: '1', Message: 'no attrs' }] }));
  assert.equal(batch.Successful.length, 1);
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  assert.deepEqual(got.Messages.map((m) => m.Body), ['kept']);
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: `${TopicArn}-nope`, Message: 'x' })), { name: 'NotFoundException' });
});
