// Package querytest tests Sluice's SQS API with a real client of the AWS
// Query protocol: the AWS SDK for Go v1 at v1.47.5, its last release before
// SQS moved to JSON. It is a separate module so that the main module does
// not depend on the deprecated SDK; .ci/run runs its tests.
package querytest
