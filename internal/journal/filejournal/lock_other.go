//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package filejournal

import "os"

// lockDir opens the LOCK file in dir. On this platform it takes no lock.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
