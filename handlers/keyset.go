package handlers

import (
	"math"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
)

// How many rows a dashboard list shows at a time: as many as fit in well under 100 KB.
const (
	jobsPageSize = 40
	runsPageSize = 50
)

// cursor is where a keyset page starts: the rows below before (older), above after (newer), or, with
// neither, the newest. Pages are found through an index whatever their depth, and no list is counted.
type cursor struct{ before, after int64 }

// readCursor reads ?before= or ?after=; anything but a positive id means the first page.
func readCursor(c echo.Context) cursor {
	var cur cursor
	if n, err := strconv.ParseInt(c.QueryParam("after"), 10, 64); err == nil && n > 0 {
		cur.after = n
	} else if n, err := strconv.ParseInt(c.QueryParam("before"), 10, 64); err == nil && n > 0 {
		cur.before = n
	}
	return cur
}

// beforeID is the upper bound of a page read downwards: the cursor's, or above every id.
func (cur cursor) beforeID() int64 {
	if cur.before > 0 {
		return cur.before
	}
	return math.MaxInt64
}

// trimPage cuts rows read with one row to spare down to a page of size. Rows read upwards (after a cursor)
// are put newest first, like every page. more reports whether the spare row was there.
func trimPage[T any](rows []T, size int, upwards bool) ([]T, bool) {
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	if upwards {
		slices.Reverse(rows)
	}
	return rows, more
}

// pageLinks returns the URLs of the newer and the older page, or "" where there is none. ids are the
// page's row ids, newest first; more says whether rows were left beyond the page in the direction
// it was read.
func pageLinks(base string, params url.Values, ids []int64, cur cursor, more bool) (newer, older string) {
	link := func(key string, id int64) string {
		v := url.Values{}
		for k, vs := range params {
			if k != "before" && k != "after" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if key != "" {
			v.Set(key, itoa64(id))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if len(ids) == 0 {
		if cur != (cursor{}) {
			newer = link("", 0) // past either end: back to the newest
		}
		return newer, ""
	}
	hasNewer, hasOlder := cur.before > 0, more
	if cur.after > 0 {
		hasNewer, hasOlder = more, true
	}
	if hasNewer {
		newer = link("after", ids[0])
	}
	if hasOlder {
		older = link("before", ids[len(ids)-1])
	}
	return newer, older
}
