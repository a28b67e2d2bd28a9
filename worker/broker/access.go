package broker

import (
	"context"
	"errors"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// CheckAccess connects to the nodes at urls, one after the other, until one answers, and returns
// an error if it refuses the credentials or the virtual host (ACCESS_REFUSED, NOT_ALLOWED): no
// amount of waiting fixes those, so Cronflow stops at once with the reason instead of retrying
// for ever. A node that does not answer is no error here: the connections retry it themselves.
func CheckAccess(ctx context.Context, urls []string) error {
	for _, url := range urls {
		if ctx.Err() != nil {
			return nil
		}
		conn, err := amqp.DialConfig(url, amqp.Config{
			Properties: amqp.Table{"connection_name": "cronflow access check"},
			Dial:       amqp.DefaultDial(dialTimeout),
		})
		if err == nil {
			_ = conn.Close()
			return nil
		}
		var amqpErr *amqp.Error
		if errors.As(err, &amqpErr) && (amqpErr.Code == amqp.AccessRefused || amqpErr.Code == amqp.NotAllowed) {
			return fmt.Errorf("connect to RabbitMQ at %s: refused, which waiting cannot fix (check the user, "+
				"password and virtual host): %w", hostOf(url), err)
		}
	}
	return nil
}
