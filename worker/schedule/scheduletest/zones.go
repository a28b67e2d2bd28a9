// Package scheduletest holds the daylight-saving table that the schedule package, the scheduler
// and the schedule preview are all tested over, so that one table shows they agree.
package scheduletest

import "time"

// ZoneCase is a schedule in a real time zone, a moment, and the slots that must follow it.
type ZoneCase struct {
	Name, Cron, Timezone string
	From                 time.Time
	Want                 []time.Time
}

// utc is a moment in UTC, for writing the table.
func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

// ZoneCases keep the classic cron daemons' rules: a job whose wall-clock time is skipped when the
// clocks go forward runs at the change; one whose time is repeated when they go back runs once, at
// the first; a job whose hour is "*" keeps to real time. The yearly case is issue 21's: its only
// slot falls in the gap, and must not move to the next year.
var ZoneCases = []ZoneCase{
	{"NewYorkYearlySlotInTheGapRunsAtTheChange", "0 2 14 3 *", "America/New_York", utc(2026, 6, 1, 0, 0),
		[]time.Time{utc(2027, 3, 14, 7, 0), utc(2028, 3, 14, 6, 0)}},
	{"NewYorkDailySlotInTheGapRunsAtTheChange", "30 2 * * *", "America/New_York", utc(2026, 3, 7, 17, 0),
		[]time.Time{utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)}},
	{"NewYorkRepeatedHourRunsOnce", "30 1 * * *", "America/New_York", utc(2026, 10, 31, 16, 0),
		[]time.Time{utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)}},
	{"NewYorkHourlyKeepsToRealTime", "0 * * * *", "America/New_York", utc(2026, 11, 1, 4, 30),
		[]time.Time{utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 7, 0)}},
	{"NewYorkUntouchedOutsideTheGap", "0 9 * * *", "America/New_York", utc(2026, 3, 7, 17, 0),
		[]time.Time{utc(2026, 3, 8, 13, 0), utc(2026, 3, 9, 13, 0)}},
	{"BerlinDailySlotInTheGapRunsAtTheChange", "30 2 * * *", "Europe/Berlin", utc(2026, 3, 28, 12, 0),
		[]time.Time{utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)}},
	{"BerlinRepeatedHourRunsOnce", "30 2 * * *", "Europe/Berlin", utc(2026, 10, 24, 12, 0),
		[]time.Time{utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)}},
	{"BerlinYearlySlotInTheGapRunsAtTheChange", "30 2 29 3 *", "Europe/Berlin", utc(2025, 4, 1, 0, 0),
		[]time.Time{utc(2026, 3, 29, 1, 0), utc(2027, 3, 29, 0, 30)}},
	{"LordHoweHalfHourGapRunsAtTheChange", "15 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3, 0, 0),
		[]time.Time{utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15, 15)}},
	{"LordHoweRepeatedHalfHourRunsOnce", "45 1 * * *", "Australia/Lord_Howe", utc(2026, 4, 4, 0, 0),
		[]time.Time{utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15)}},
	{"SaoPauloMidnightGapRunsAtTheChange", "30 0 * * *", "America/Sao_Paulo", utc(2018, 11, 3, 12, 0),
		[]time.Time{utc(2018, 11, 4, 3, 0), utc(2018, 11, 5, 2, 30)}},
	{"SaoPauloMidnightJobRunsAtTheChange", "0 0 * * *", "America/Sao_Paulo", utc(2018, 11, 3, 12, 0),
		[]time.Time{utc(2018, 11, 4, 3, 0), utc(2018, 11, 5, 2, 0)}},
	{"SaoPauloRepeatedHourRunsOnce", "30 23 * * *", "America/Sao_Paulo", utc(2019, 2, 16, 12, 0),
		[]time.Time{utc(2019, 2, 17, 1, 30), utc(2019, 2, 18, 2, 30)}},
}
