// Package jstest drives Sluice's SQS and SNS APIs with the AWS SDK for
// JavaScript v3 (aws.test.mjs, run by Node's test runner) against a real
// server. The SDK is installed by `npm ci` in this directory, which
// .ci/run does; without it the test is skipped, unless SLUICE_REQUIRE_JS is
// set (as .ci/run sets it), which makes a missing SDK or node a failure.
package jstest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/sluicehq/sluice/sluicetest"
)

func TestAWSSDKForJavaScript(t *testing.T) {
	skip := t.Skip
	if os.Getenv("SLUICE_REQUIRE_JS") != "" {
		skip = t.Fatal
	}
	if _, err := os.Stat("node_modules/@aws-sdk/client-sqs"); err != nil {
		skip("the AWS SDK for JavaScript is not installed: run npm ci in internal/awswire/jstest")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed")
	}
	srv := sluicetest.NewServer(t, sluicetest.WithSync("never"))
	cmd := exec.CommandContext(t.Context(), node, "--test", "--test-reporter=spec", "aws.test.mjs")
	cmd.Env = append(os.Environ(), "SLUICE_URL="+srv.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
