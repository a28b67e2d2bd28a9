package main

import (
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/brokertest"
)

// bareConsumers is the bare pipeline's number of consumers: the figure MACHINE-LIMITS measured it
// at its best with.
const bareConsumers = 64

// barePipeline is the least that executing a run takes, written plainly, to measure Cronflow
// against on the same machine in the same run: publish persistent messages with pipelined
// confirms to a quorum queue; consume with a prefetch of one per consumer; GET the target; insert
// a run row and update it, each its own statement and commit; ack. A message carries the time it
// was due; the pipeline's delay for it is from then to its ack.
type barePipeline struct {
	b      *testing.B
	pub    *amqp.Channel
	queue  string
	mu     sync.Mutex
	delays []time.Duration
	conn   *amqp.Connection
	pool   *pgxpool.Pool
}

// startBare starts the bare pipeline's consumers against target, stopped when the benchmark ends.
func startBare(b *testing.B, target string) *barePipeline {
	pool := dbtest.NewPool(b)
	q := sqlcgen.New(pool)
	conn, err := amqp.Dial(brokertest.URL())
	if err != nil {
		b.Fatal(err)
	}
	p := &barePipeline{b: b, queue: brokertest.Prefix() + ".bare", conn: conn, pool: pool}
	brokertest.DeleteAtCleanup(b, []string{p.queue}, nil)
	b.Cleanup(func() { _ = conn.Close() })
	if p.pub, err = conn.Channel(); err != nil {
		b.Fatal(err)
	}
	if _, err := p.pub.QueueDeclare(p.queue, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		b.Fatal(err)
	}
	if err := p.pub.Confirm(false); err != nil {
		b.Fatal(err)
	}
	sub, err := conn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if err := sub.Qos(bareConsumers, 0, false); err != nil {
		b.Fatal(err)
	}
	deliveries, err := sub.Consume(p.queue, "", false, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bareConsumers}}
	// Each consumer has a job of its own: runs are keyed by (job, time), and two consumers could
	// insert a run of one job in the same microsecond.
	for range bareConsumers {
		job := dbtest.InsertJob(b, q, dbtest.Job("bare", "ping", `{"url": "`+target+`"}`, "0 0 1 1 *"))
		go p.consume(deliveries, client, q, job.ID, target)
	}
	return p
}

// consume is one bare consumer.
func (p *barePipeline) consume(deliveries <-chan amqp.Delivery, client *http.Client, q *sqlcgen.Queries, jobID int64, target string) {
	ctx := context.Background()
	for d := range deliveries {
		due := time.Unix(0, int64(binary.BigEndian.Uint64(d.Body)))
		resp, err := client.Get(target)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		run, err := q.RunInsertManual(ctx, jobID)
		if err == nil {
			err = q.RunMarkPublished(ctx, []int64{run.ID})
		}
		if err != nil {
			p.b.Errorf("bare pipeline: record run: %v", err)
		}
		_ = d.Ack(false)
		p.mu.Lock()
		p.delays = append(p.delays, time.Since(due))
		p.mu.Unlock()
	}
}

// publish publishes n runs due at due, waiting for the broker's confirms of them all.
func (p *barePipeline) publish(n int, due time.Time) {
	body := binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano()))
	confirms := make([]*amqp.DeferredConfirmation, 0, n)
	for range n {
		dc, err := p.pub.PublishWithDeferredConfirm("", p.queue, true, false,
			amqp.Publishing{DeliveryMode: amqp.Persistent, ContentType: "application/octet-stream", Body: body})
		if err != nil {
			p.b.Fatal(err)
		}
		confirms = append(confirms, dc)
	}
	for _, dc := range confirms {
		if !dc.Wait() {
			p.b.Fatal("bare pipeline: publish not confirmed")
		}
	}
}

// wait waits until n runs are done and returns their delays.
func (p *barePipeline) wait(n int, within time.Duration) []time.Duration {
	deadline := time.Now().Add(within)
	for {
		p.mu.Lock()
		got := len(p.delays)
		p.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			p.b.Fatalf("bare pipeline: %d of %d runs done within %s", got, n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.delays
	p.delays = nil
	return out
}

// bareBurst publishes jobs runs due now and measures how long the bare pipeline takes for them.
func bareBurst(b *testing.B, target string, jobs int) loadFigures {
	p := startBare(b, target)
	due := time.Now()
	p.publish(jobs, due)
	defer p.settle()
	return figures(p.wait(jobs, burstWithin(jobs)), jobs)
}

// settle cleans up after the bare pipeline before Cronflow is measured: it vacuums the pipeline's
// runs and makes PostgreSQL write a checkpoint, so that autovacuum and a checkpoint due to the
// pipeline's writes (two commits a run) do not fall into Cronflow's half of the same run.
func (p *barePipeline) settle() {
	ctx := context.Background()
	for _, sql := range []string{"VACUUM ANALYZE runs", "CHECKPOINT"} {
		if _, err := p.pool.Exec(ctx, sql); err != nil {
			p.b.Logf("bare pipeline: %s: %v (Cronflow's figures may pay for the pipeline's writes)", sql, err)
		}
	}
}

// bareSteady publishes jobs runs at the start of every second for seconds seconds, and measures
// the delays of those due after the first warmUp seconds.
func bareSteady(b *testing.B, target string, jobs, seconds int) loadFigures {
	p := startBare(b, target)
	next := time.Now().Truncate(time.Second).Add(time.Second)
	var delays []time.Duration
	for i := range seconds + steadyWarmUp {
		time.Sleep(time.Until(next))
		p.publish(jobs, next)
		if i == steadyWarmUp-1 {
			p.wait(jobs*steadyWarmUp, time.Minute)
		}
		next = next.Add(time.Second)
	}
	delays = p.wait(jobs*seconds, time.Minute)
	p.settle()
	return figures(delays, jobs*seconds)
}
