// Package awswire is the plumbing shared by Sluice's Amazon SQS and SNS
// front ends: it tells which AWS service and protocol a request speaks,
// decodes AWS JSON 1.0 bodies and Query forms into Go values, encodes
// results as JSON or as Query XML, writes error envelopes exactly as AWS
// does for each protocol, and computes the MD5 digests SQS clients check.
//
// Routing, for requests that share the server's port with the native API:
//
//  1. an X-Amz-Target header ("AmazonSQS.SendMessage") names the service
//     and the operation of an AWS JSON 1.0 request;
//  2. otherwise the request is a Query request (a form with Action=), and
//     its service is the credential scope of its SigV4 Authorization
//     header ("…/us-east-1/sqs/aws4_request");
//  3. unsigned Query requests are routed by their Version parameter, then
//     by path: SQS clients post to queue URLs, "/{account}/{queue}".
//
// Credentials are parsed, never verified: any access key is accepted. The
// credential scope is kept on the Request for the verification to come.
//
// The package knows no service's operations; a service registers a
// Handler for its name with a Router.
package awswire
