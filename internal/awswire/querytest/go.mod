module github.com/sluicehq/sluice/internal/awswire/querytest

go 1.26.8

require (
	github.com/aws/aws-sdk-go v1.47.5
	github.com/sluicehq/sluice v0.0.0
)

require (
	github.com/jmespath/go-jmespath v0.4.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)

replace github.com/sluicehq/sluice => ../../..
