package schedule

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Jenkins-style H tokens: a value chosen per job, the same on every replica and after every
// restart, so that a thousand jobs at "H 0 * * *" spread over the hour instead of all hitting
// their targets in the same second. Each H is resolved to plain cron when a job's schedule is
// parsed, from a hash of the job's id and the field, so the scheduler and the preview, which parse
// alike, give the same slots.

// hField is one field of a cron expression as H tokens see it.
type hField struct {
	word   cronFieldWord
	lo, hi int
	// hHi bounds a plain H: days of the month go to 28, so that a job runs every month.
	hHi int
}

// hFields are the five fields; a six-field expression has hSeconds first.
var (
	hSeconds = hField{secondFieldWord, 0, 59, 59}
	hFields  = []hField{
		{cronFieldWords[0], 0, 59, 59},
		{cronFieldWords[1], 0, 23, 23},
		{cronFieldWords[2], 1, 31, 28},
		{cronFieldWords[3], 1, 12, 12},
		{cronFieldWords[4], 0, 6, 6},
	}
)

// HasH reports whether a cron expression uses an H token.
func HasH(spec string) bool {
	for _, f := range strings.Fields(spec) {
		for _, item := range strings.Split(f, ",") {
			if strings.HasPrefix(item, "H") {
				return true
			}
		}
	}
	return false
}

// resolveH replaces each H token of spec with the value it stands for for the job jobID. A job
// not stored yet has no id: its H tokens are checked with jobID 0, and resolved again once it has
// one. An invalid token is an error that says what is wrong, as a sentence following "The schedule".
func resolveH(spec string, jobID int64) (string, error) {
	if !HasH(spec) || strings.HasPrefix(spec, "@") {
		return spec, nil
	}
	parts := strings.Fields(spec)
	fields := hFields
	if len(parts) == 6 {
		fields = append([]hField{hSeconds}, hFields...)
	}
	if len(parts) != len(fields) {
		return spec, nil // the parser words what is wrong with the number of fields
	}
	for i, f := range fields {
		items := strings.Split(parts[i], ",")
		for j, item := range items {
			if !strings.HasPrefix(item, "H") {
				continue
			}
			v, err := f.resolve(item, hashOf("H", jobID, f.word.name, strconv.Itoa(j)))
			if err != nil {
				return "", fmt.Errorf("has an H token “%s” in the %s field that is not valid: %w; "+
					"write H, H(0-29), H/15 or H(0-29)/10", item, f.word.name, err)
			}
			items[j] = v
		}
		parts[i] = strings.Join(items, ",")
	}
	return strings.Join(parts, " "), nil
}

// resolve turns one H token into plain cron: H and H(a-b) into one value, H/n and H(a-b)/n into
// a range stepped by n that starts at a value chosen within the first step.
func (f hField) resolve(item string, h uint64) (string, error) {
	rest := strings.TrimPrefix(item, "H")
	lo, hi := f.lo, f.hHi
	if strings.HasPrefix(rest, "(") {
		inner, after, ok := strings.Cut(rest[1:], ")")
		a, b, isRange := strings.Cut(inner, "-")
		if !ok || !isRange {
			return "", errors.New("a range is written in brackets, such as H(0-29)")
		}
		var errA, errB error
		lo, errA = strconv.Atoi(a)
		hi, errB = strconv.Atoi(b)
		if errA != nil || errB != nil || lo < f.lo || hi > f.hi || lo > hi {
			return "", errors.New(f.word.bounds + ", and a range goes from low to high")
		}
		rest = after
	} else if strings.HasPrefix(rest, "/") {
		hi = f.hi // steps go through the whole field
	}
	if rest == "" {
		return strconv.Itoa(lo + int(h%uint64(hi-lo+1))), nil
	}
	stepText, ok := strings.CutPrefix(rest, "/")
	step, err := strconv.Atoi(stepText)
	if !ok || err != nil || step < 1 || step > hi-lo+1 {
		return "", fmt.Errorf("a step follows a slash and goes from 1 to %d", hi-lo+1)
	}
	start := lo + int(h%uint64(step))
	return fmt.Sprintf("%d-%d/%d", start, hi, step), nil
}

// hashOf is a stable hash of what names one choice of one job: FNV-1a, which is defined by its
// specification, so that every replica, build and restart computes the same value.
func hashOf(kind string, jobID int64, more ...string) uint64 {
	h := fnv.New64a()
	b := make([]byte, 0, 64)
	b = append(append(append(b, "cronflow/"...), kind...), '/')
	b = strconv.AppendInt(b, jobID, 10)
	for _, m := range more {
		b = append(append(b, '/'), m...)
	}
	_, _ = h.Write(b) // the bytes "cronflow/%s/%d" and each "/%s" made, without fmt's cost
	return h.Sum64()
}
