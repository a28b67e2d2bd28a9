package schedule

import "testing"

func TestDescribeSchedule(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ spec, want string }{
		{"30 2 * * *", "At 02:30, every day"},
		{"@every 30s", "Every 30 seconds"},
		{"*/30 * * * * *", "Every 30 seconds"},
		{"15 * * * *", "At minute 15 of every hour"},
		{"0 9 * * 1-5", "At 09:00, Monday through Friday"},
		{"0 9 * * MON-FRI", "At 09:00, Monday through Friday"},
		{"* * * * *", "Every minute"},
		{"*/5 * * * *", "Every 5 minutes"},
		{"*/7 * * * *", "At every 7th minute past every hour"},
		{"0 */2 * * *", "Every 2 hours, on the hour"},
		{"*/15 9-17 * * *", "At every 15th minute past every hour from 9 through 17"},
		{"0,30 9 * * *", "At 09:00 and 09:30, every day"},
		{"0 9,17 * * *", "At 09:00 and 17:00, every day"},
		{"0 0 1 * *", "At 00:00, on day 1 of the month"},
		{"0 0 1,15 * *", "At 00:00, on days 1 and 15 of the month"},
		{"0 8 * * 0,6", "At 08:00, on Sunday and Saturday"},
		{"0 8 * * 1", "At 08:00, only on Monday"},
		{"0 0 1 1 *", "At 00:00, on 1 January"},
		{"0 12 * 6-8 *", "At 12:00, every day, June through August"},
		{"0 0 1 * 1", "At 00:00, on day 1 of the month, or only on Monday"},
		{"15 30 2 * * *", "At 02:30:15, every day"},
		{"* * * * * *", "Every second"},
		{"10 * * * * *", "At second 10 of every minute"},
		{"@daily", "At 00:00, every day"},
		{"@hourly", "At minute 0 of every hour"},
		{"@weekly", "At 00:00, only on Sunday"},
		{"@monthly", "At 00:00, on day 1 of the month"},
		{"@yearly", "At 00:00, on 1 January"},
		{"@every 1h", "Every hour"},
		{"@every 1h30m", "Every 1 hour and 30 minutes"},
		{"5-10/2 3 * */3 *", "At every 2nd minute from 5 through 10 past hour 3, every day, in every 3rd month"},
		{"  30   2 * * * ", "At 02:30, every day"},
		{"not cron", ""},
		{"61 * * * *", ""},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			if got := Describe(tt.spec); got != tt.want {
				t.Errorf("Describe(%q) = %q, want %q", tt.spec, got, tt.want)
			}
		})
	}
}
