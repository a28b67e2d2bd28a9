package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the binary that cronflowBinary built, once every test is done with it, so that
// a test run leaves nothing in the temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryPath != "" {
		_ = os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}
