package clustertest

import (
	"fmt"
	"os/exec"
	"strings"
)

// RaiseMemoryAlarm sets node n's memory high watermark so low that the node raises its memory
// alarm at once, which makes the whole cluster block every publishing connection
// (connection.blocked). ClearMemoryAlarm, which runs at cleanup too, puts the default back. Only
// the cluster's own nodes are ever touched, never the machine's rabbit@localhost.
func (r *Rabbit) RaiseMemoryAlarm(n int) {
	r.t.Helper()
	r.t.Cleanup(func() {
		if err := setWatermark(n, "0.4"); err != nil {
			r.t.Errorf("clear the memory alarm on node %d: %v", n, err)
		}
	})
	if err := setWatermark(n, "0.0000001"); err != nil {
		r.t.Fatalf("raise a memory alarm on node %d: %v", n, err)
	}
}

// ClearMemoryAlarm puts node n's memory high watermark back to RabbitMQ's default, 0.4.
func (r *Rabbit) ClearMemoryAlarm(n int) {
	r.t.Helper()
	if err := setWatermark(n, "0.4"); err != nil {
		r.t.Fatalf("clear the memory alarm on node %d: %v", n, err)
	}
}

func setWatermark(n int, fraction string) error {
	if n < 1 || n > 3 {
		return fmt.Errorf("not a node of the cluster: %d", n)
	}
	out, err := exec.Command("rabbitmqctl", "-q", "-n", fmt.Sprintf("c%d@localhost", n),
		"set_vm_memory_high_watermark", fraction).CombinedOutput()
	if err != nil {
		return fmt.Errorf("rabbitmqctl set_vm_memory_high_watermark %s: %w: %s", fraction, err, strings.TrimSpace(string(out)))
	}
	return nil
}
