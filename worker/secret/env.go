package secret

import (
	"errors"
	"fmt"
	"strings"
)

// ReadKeys reads the key that seals secrets, CRONFLOW_SECRET_KEY, and the one before a rotation,
// CRONFLOW_SECRET_KEY_PREVIOUS, which needs the first. An empty variable is a nil key; a bad one is
// an error naming it.
func ReadKeys(getenv func(string) string) (current, previous []byte, err error) {
	var errs []error
	read := func(name string) []byte {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return nil
		}
		key, err := ParseKey(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %w", name, err))
		}
		return key
	}
	current, previous = read("CRONFLOW_SECRET_KEY"), read("CRONFLOW_SECRET_KEY_PREVIOUS")
	if strings.TrimSpace(getenv("CRONFLOW_SECRET_KEY_PREVIOUS")) != "" && strings.TrimSpace(getenv("CRONFLOW_SECRET_KEY")) == "" {
		errs = append(errs, errors.New("CRONFLOW_SECRET_KEY_PREVIOUS needs CRONFLOW_SECRET_KEY, the key that replaces it"))
	}
	return current, previous, errors.Join(errs...)
}
