package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// metaFormat is the data directory layout version this server writes and
// reads. A change to the layout that old servers cannot read bumps it.
const metaFormat = 1

// metaFile names the file recording the layout of a data directory.
const metaFile = "META"

// meta is the content of a data directory's META file.
type meta struct {
	Format     int       `json:"format"`
	Partitions int       `json:"partitions"`
	CreatedAt  time.Time `json:"created_at"`
}

// loadOrCreateMeta reads dir's META file and checks it against want
// partitions (zero accepts any count), or writes a new one when the
// directory holds no data yet.
func loadOrCreateMeta(dir string, want int) (meta, error) {
	path := filepath.Join(dir, metaFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return createMeta(dir, want)
	case err != nil:
		return meta{}, fmt.Errorf("read %s: %w", path, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return meta{}, fmt.Errorf("%s is corrupt: %w", path, err)
	}
	switch {
	case m.Format > metaFormat:
		return meta{}, fmt.Errorf("data dir %s has format %d, newer than this server's %d: upgrade sluice", dir, m.Format, metaFormat)
	case m.Format < 1 || m.Partitions < 1:
		return meta{}, fmt.Errorf("%s is corrupt: format %d, %d partitions", path, m.Format, m.Partitions)
	case want != 0 && want != m.Partitions:
		return meta{}, fmt.Errorf("data dir %s was created with %d partitions, not the %d asked for: the partition count of existing data cannot change", dir, m.Partitions, want)
	}
	return m, nil
}

// createMeta writes a META file for a new data directory. It refuses a
// directory that already holds partitions, since their count is unknown.
func createMeta(dir string, partitions int) (meta, error) {
	if entries, err := os.ReadDir(filepath.Join(dir, "partitions")); err == nil && len(entries) > 0 {
		return meta{}, fmt.Errorf("data dir %s holds partitions but no %s file: restore it or use another data dir", dir, metaFile)
	}
	m := meta{Format: metaFormat, Partitions: partitions, CreatedAt: time.Now().UTC()}
	if m.Partitions == 0 {
		m.Partitions = DefaultPartitions
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return meta{}, err
	}
	if err := writeFileAtomic(filepath.Join(dir, metaFile), append(b, '\n')); err != nil {
		return meta{}, fmt.Errorf("write %s: %w", metaFile, err)
	}
	return m, nil
}

// writeFileAtomic writes b to path through a synced temporary file and a
// rename, then syncs the directory, so a crash leaves the old file or the
// new one, never a torn one.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
