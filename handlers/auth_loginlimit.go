package handlers

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// loginGuard stands in front of every password check (the login form, HTTP Basic, a password
// change). A check is reserved before it is made, so that requests in flight together cannot all
// pass: per client address (5, then one every 12 s) and per user name (10, then one every 30 s).
// A success gives its reservations back. Only a few bcrypt comparisons run at once, each taking a
// core for tens of milliseconds; the others wait a moment for a free slot or are refused, so that a
// flood of guesses queues instead of starving every other request.
//
// A client address that has logged in as a user before is not held to that user's limit: someone
// guessing a name from elsewhere cannot lock its owner out of their usual place. Anywhere else, the
// owner gets in again within 30 s of the guessing stopping.
type loginGuard struct {
	byClient, byUser *limiter
	known            *knownClients
	slots            chan struct{}
	wait             time.Duration
	now              func() time.Time
}

func newLoginGuard() *loginGuard {
	g := &loginGuard{
		byClient: newLimiter(5, 12*time.Second),
		byUser:   newLimiter(10, 30*time.Second),
		known:    &knownClients{byUser: map[string]map[string]time.Time{}},
		// Half the cores at most, so that the rest serve everyone else while logins are flooded.
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		wait:  2 * time.Second,
	}
	g.setClock(time.Now)
	return g
}

// setClock makes the guard and its limiters read the time from now; tests move it on.
func (g *loginGuard) setClock(now func() time.Time) {
	g.now, g.byClient.now, g.byUser.now = now, now, now
}

// loginRefusal is why a password was not checked: what to tell the person and when to try again.
type loginRefusal struct {
	Reason     string
	RetryAfter int // seconds
}

// attempt is one password check let through, holding what it reserved until it is known whether
// the password was right.
type attempt struct {
	g            *loginGuard
	client, user string
	refunds      []func()
	slotHeld     bool
}

// begin reserves one password check of user from client and waits (a moment at most) for a slot
// to make it in. The caller must call release when the check is done, and succeeded if it was right.
func (g *loginGuard) begin(ctx context.Context, client, user string) (*attempt, *loginRefusal) {
	a := &attempt{g: g, client: client, user: user}
	refund, ok := g.byClient.reserve(client)
	if !ok {
		return nil, &loginRefusal{Reason: "too many failed logins from this address", RetryAfter: g.byClient.retryAfter()}
	}
	a.refunds = append(a.refunds, refund)
	if !g.known.has(user, client, g.now()) {
		if refund, ok = g.byUser.reserve(user); !ok {
			a.refund()
			return nil, &loginRefusal{Reason: "too many failed logins for this user", RetryAfter: g.byUser.retryAfter()}
		}
		a.refunds = append(a.refunds, refund)
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		a.slotHeld = true
		return a, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	a.refund() // nothing was checked, so nothing counts
	return nil, &loginRefusal{Reason: "too many logins at once", RetryAfter: 1}
}

// release frees the attempt's slot for the next password check.
func (a *attempt) release() {
	if a.slotHeld {
		a.slotHeld = false
		<-a.g.slots
	}
}

// succeeded gives the attempt's reservations back (only failures count) and remembers the client
// as one this user logs in from.
func (a *attempt) succeeded() {
	a.refund()
	a.g.known.add(a.user, a.client, a.g.now())
}

func (a *attempt) refund() {
	for _, r := range a.refunds {
		r()
	}
	a.refunds = nil
}

// knownClients remembers, per user, the client addresses that logged in as them lately.
type knownClients struct {
	mu     sync.Mutex
	byUser map[string]map[string]time.Time
}

const (
	// knownClientTTL is how long a successful login keeps its address known.
	knownClientTTL = 30 * 24 * time.Hour
	// maxKnownClients bounds the addresses remembered per user; the oldest is forgotten first.
	maxKnownClients = 20
)

func (k *knownClients) has(user, client string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	seen, ok := k.byUser[user][client]
	return ok && now.Sub(seen) < knownClientTTL
}

func (k *knownClients) add(user, client string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	clients := k.byUser[user]
	if clients == nil {
		clients = map[string]time.Time{}
		k.byUser[user] = clients
	}
	clients[client] = now
	for len(clients) > maxKnownClients {
		oldest, at := "", now
		for c, t := range clients {
			if !t.After(at) {
				oldest, at = c, t
			}
		}
		delete(clients, oldest)
	}
}
