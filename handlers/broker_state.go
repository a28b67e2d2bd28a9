package handlers

import "github.com/labstack/echo/v4"

// BrokerStateHeader carries, on every answer, what keeps runs from reaching the broker now, if
// anything. The page's script shows it in the connection state (the box under the header, where a
// failed refresh is reported too) after each refresh, and clears it when an answer comes without.
const BrokerStateHeader = "X-Cronflow-Broker-State"

// brokerState sets BrokerStateHeader from state, which is cheap: it reads what the publisher was
// last told, with no round trip to the broker.
func brokerState(state func() string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if state != nil {
				if s := state(); s != "" {
					c.Response().Header().Set(BrokerStateHeader, s)
				}
			}
			return next(c)
		}
	}
}
