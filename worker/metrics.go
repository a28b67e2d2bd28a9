package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// Metrics are the worker side's Prometheus series. A nil *Metrics records nothing, so that tests
// and tools need not set it up.
type Metrics struct {
	runs    *prometheus.CounterVec
	attempt *prometheus.HistogramVec
	lag     prometheus.Histogram
	skew    prometheus.Histogram
	missed  prometheus.Counter
	skipped prometheus.Counter
	reg     prometheus.Registerer
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cronflow_runs_total",
			Help: "Attempts finished, by task type and outcome: completed, failed (a retry follows), permanently_failed or cancelled.",
		}, []string{"type", "outcome"}),
		attempt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cronflow_attempt_duration_seconds",
			Help:    "How long one attempt of a task took, by task type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"type"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cronflow_schedule_lag_seconds",
			Help:    "From a run's scheduled time to the start of its first attempt.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		// The Kubernetes CronJob controller's skew metric is the model (issue 21).
		skew: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cronflow_schedule_skew_seconds",
			Help:    "How late each run started after its slot: its first attempt's start less its scheduled time.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
		missed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cronflow_missed_slots_total",
			Help: "Slots that passed without a run and that the catch-up did not run, recorded as missed runs or (past 100 per job) only counted.",
		}),
	}
	m.skipped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cronflow_skipped_slots_total",
		Help: "Slots recorded as skipped runs because an earlier run of their job was unsettled (overlap: skip or queue).",
	})
	reg.MustRegister(m.runs, m.attempt, m.lag, m.skew, m.missed, m.skipped)
	return m
}

// skippedSlots counts slots an overlap policy skipped.
func (m *Metrics) skippedSlots(n int) {
	if m == nil || n == 0 {
		return
	}
	m.skipped.Add(float64(n))
}

// missedSlots counts slots the catch-up left out.
func (m *Metrics) missedSlots(n int) {
	if m == nil || n == 0 {
		return
	}
	m.missed.Add(float64(n))
}

// Watch registers the series that are read from the running parts when scraped: publishes,
// consumers, in-flight runs, reconnects, leadership and the slots held through a database outage.
// leader and disp are nil on a worker-only replica, which builds no leader parts.
func (m *Metrics) Watch(pub *broker.Publisher, c *Consumer, consumers int, leader *Leader, disp *Dispatcher) {
	counter := func(name, help string, labels prometheus.Labels, f func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f()) })
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	const publishes = "Runs published, by result: confirmed by the broker, returned as unroutable, or failed."
	const reconnects = "Broker connections lost and dialled again, by connection."
	m.reg.MustRegister(
		counter("cronflow_publishes_total", publishes, prometheus.Labels{"result": "confirmed"}, pub.Confirmed.Load),
		counter("cronflow_publishes_total", publishes, prometheus.Labels{"result": "returned"}, pub.Returned.Load),
		counter("cronflow_publishes_total", publishes, prometheus.Labels{"result": "failed"}, pub.Failed.Load),
		counter("cronflow_broker_reconnects_total", reconnects, prometheus.Labels{"connection": "publisher"}, pub.Reconnects),
		counter("cronflow_broker_reconnects_total", reconnects, prometheus.Labels{"connection": "consumer"}, c.Reconnects),
		gauge("cronflow_broker_blocked", "1 while RabbitMQ blocks this process's publishing (a memory or disk alarm).", func() float64 {
			if blocked, _ := pub.Blocked(); blocked {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cronflow_broker_blocked_seconds_total",
			Help: "Seconds that RabbitMQ blocked this process's publishing."}, pub.BlockedSeconds),
		counter("cronflow_broker_blocked_total", "Times RabbitMQ blocked this process's publishing.", nil, pub.BlockedEvents),
		gauge("cronflow_consumers", "Execution slots (CONSUMERS) in this process.", func() float64 { return float64(consumers) }),
		gauge("cronflow_runs_in_flight", "Runs in hand in this process now: claimed, waiting for their due instant or an execution slot, executing or being recorded.", func() float64 { return float64(c.InFlight()) }),
		gauge("cronflow_scheduler_leader", "1 while this process is the scheduler leader.", func() float64 {
			if leader != nil && leader.Leading() {
				return 1
			}
			return 0
		}),
		gauge("cronflow_held_slots", "Due slots the leader holds while the database is out of reach.", func() float64 {
			if disp == nil {
				return 0
			}
			return float64(disp.Held())
		}),
	)
}

// attemptDone records the end of an attempt.
func (m *Metrics) attemptDone(taskType string, outcome runstatus.Status, took time.Duration) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(taskType, string(outcome)).Inc()
	m.attempt.WithLabelValues(taskType).Observe(took.Seconds())
}

// started records the start of an attempt; the schedule lag and skew are those of first attempts
// only, since retries are late on purpose. The two measure the same; the skew is the name issue 21
// asks for, with buckets up to an hour, and the lag stays for the dashboards that read it.
func (m *Metrics) started(attempt int32, scheduledAt time.Time, startedAt *time.Time) {
	if m == nil || attempt != 1 || startedAt == nil {
		return
	}
	m.lag.Observe(startedAt.Sub(scheduledAt).Seconds())
	m.skew.Observe(startedAt.Sub(scheduledAt).Seconds())
}
