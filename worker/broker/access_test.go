package broker

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/worker/brokertest"
)

func TestCheckAccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("RightCredentialsPass", func(t *testing.T) {
		t.Parallel()
		if err := CheckAccess(ctx, []string{brokertest.URL()}); err != nil {
			t.Fatalf("CheckAccess = %v; want nil", err)
		}
	})
	t.Run("AWrongPasswordIsFinal", func(t *testing.T) {
		t.Parallel()
		u, _ := url.Parse(brokertest.URL())
		u.User = url.UserPassword(u.User.Username(), "not-the-password")
		err := CheckAccess(ctx, []string{u.String()})
		if err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "not-the-password") {
			t.Fatalf("CheckAccess = %v; want the refusal, without the password", err)
		}
	})
	t.Run("ANodeThatIsNotUpIsLeftToTheRetries", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		if err := CheckAccess(ctx, []string{"amqp://guest:guest@" + addr + "/"}); err != nil {
			t.Fatalf("CheckAccess = %v; want nil (the connection retries)", err)
		}
	})
	t.Run("TheFirstNodeThatAnswersDecides", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "amqp://guest:guest@" + l.Addr().String() + "/"
		_ = l.Close()
		u, _ := url.Parse(brokertest.URL())
		u.User = url.UserPassword(u.User.Username(), "not-the-password")
		if err := CheckAccess(ctx, []string{down, u.String()}); err == nil {
			t.Fatal("CheckAccess = nil; want the second node's refusal")
		}
	})
}
