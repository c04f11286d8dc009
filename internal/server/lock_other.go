//go:build !unix

package server

// dirLock is a no-op where flock is unavailable: nothing stops two servers
// from sharing a data directory there.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
