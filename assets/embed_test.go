package assets

import (
	"io/fs"
	"testing"
)

func TestFSHoldsEveryAsset(t *testing.T) {
	t.Parallel()

	for _, name := range []string{"htmx.min.js", "pico.min.css", "app.css", "app.js", "passkeys.js", "LICENSE.htmx", "LICENSE.pico"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			b, err := fs.ReadFile(FS, name)
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			if len(b) == 0 {
				t.Fatalf("%s is empty", name)
			}
		})
	}
}
