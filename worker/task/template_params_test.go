package task

import (
	"strings"
	"testing"
)

func TestParamsAndTriggerTemplates(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"{{params.region}}":      "",
		"{{ params._x9 }}":       "",
		"{{trigger.run.id}}":     "",
		"{{trigger.run.status}}": "",
		"{{params.9lives}}":      "names the parameter",
		"{{params.}}":            "names the parameter",
		"{{trigger.job.name}}":   "unknown template",
	} {
		got := checkTemplates(s)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checkTemplates(%q) = %q, want %q", s, got, want)
		}
	}
	run := Task{RunID: 7, Params: map[string]string{"region": "eu west"}, Trigger: &Trigger{RunID: 3, JobID: 2, Status: "completed"}}
	got, err := run.expand("/{{params.region}}?r={{trigger.run.id}}&j={{trigger.job.id}}&s={{trigger.run.status}}", inURL)
	if err != nil || got != "/eu%20west?r=3&j=2&s=completed" {
		t.Errorf("expand = %q, %v", got, err)
	}
	plain := Task{RunID: 8}
	if got, err := plain.expand("[{{trigger.run.id}}]", asText); err != nil || got != "[]" {
		t.Errorf("trigger in a run made by no other = %q, %v", got, err)
	}
	if _, err := plain.expand("{{params.region}}", asText); err == nil {
		t.Error("a parameter the run does not have expanded")
	}
	if refs := ParamRefs([]byte(`{"url": "{{params.a}}/{{ params.b }}/{{params.a}}"}`)); strings.Join(refs, ",") != "a,b" {
		t.Errorf("ParamRefs = %v", refs)
	}
}
