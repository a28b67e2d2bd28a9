package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/mileusna/useragent"

	"github.com/cronflow/cronflow/queries/store/words"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// sessionsPageSize is how many sessions the account page lists at a time; a user who signs in from
// scripts or many browsers can have dozens.
const sessionsPageSize = 20

// accountSessions reads the page of the user's live sessions that ?sessions_page= asks for, the
// current session first, each browser put into words ("Chrome on Linux").
func (a *auth) accountSessions(c echo.Context, v *views.Account) error {
	p := currentPrincipal(c)
	ctx := c.Request().Context()
	idleSince := time.Now().Add(-a.idle())
	total, err := a.q.SessionCountByUser(ctx, sqlcgen.SessionCountByUserParams{UserID: p.UserID, IdleSince: idleSince})
	if err != nil {
		return fmt.Errorf("count sessions of user %d: %w", p.UserID, err)
	}
	pages := max(1, int((total+sessionsPageSize-1)/sessionsPageSize))
	page, _ := strconv.Atoi(c.QueryParam("sessions_page"))
	page = min(max(page, 1), pages)
	rows, err := a.q.SessionListByUser(ctx, sqlcgen.SessionListByUserParams{
		UserID: p.UserID, IdleSince: idleSince, CurrentID: p.SessionID,
		SkipRows: int32((page - 1) * sessionsPageSize), MaxRows: sessionsPageSize,
	})
	if err != nil {
		return fmt.Errorf("list sessions of user %d: %w", p.UserID, err)
	}
	now := time.Now()
	for _, r := range rows {
		v.Sessions = append(v.Sessions, views.SessionRow{
			ID: r.ID, Current: r.ID == p.SessionID, ClientIP: r.ClientIp, Browser: browserWords(r.UserAgent),
			UserAgent: clip(r.UserAgent, 300), Method: r.Method,
			Created: views.NewMoment(&r.CreatedAt, now, time.UTC), LastSeen: views.NewMoment(&r.LastSeenAt, now, time.UTC),
			Expires: views.NewMoment(&r.ExpiresAt, now, time.UTC),
		})
	}
	v.SessionTotal = total
	v.SessionFirst = int64((page-1)*sessionsPageSize + 1)
	link := func(n int) string {
		return "/settings/account?" + url.Values{"sessions_page": {strconv.Itoa(n)}}.Encode() + "#sessions"
	}
	if page > 1 {
		v.SessionsNewer = link(page - 1)
	}
	if page < pages {
		v.SessionsOlder = link(page + 1)
	}
	return nil
}

// browserWords names the browser and system a user agent says it is, as people call them: "Chrome
// on Linux", "Safari on iOS", "curl". A user agent the library cannot read is "Unknown browser".
func browserWords(ua string) string {
	u := useragent.Parse(ua)
	name := u.Name
	switch {
	case name == "" && ua == "":
		return "Unknown browser"
	case name == "":
		return clip(ua, 40)
	case u.OS == "":
		return name
	}
	return name + " on " + u.OS
}

// handleSessionEndOthers serves POST /settings/sessions/end-others: every session of the user but
// this browser's ends, for a user who signed in somewhere they no longer trust.
func handleSessionEndOthers(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := currentPrincipal(c)
		n, err := a.q.SessionDeleteForUser(c.Request().Context(), sqlcgen.SessionDeleteForUserParams{UserID: p.UserID, KeepID: p.SessionID})
		if err != nil {
			return fmt.Errorf("end other sessions of user %d: %w", p.UserID, err)
		}
		return redirectAfter(c, "/settings/account#sessions", words.Count(n, "other session", "other sessions")+" signed out.")
	}
}
