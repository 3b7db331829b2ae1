package config

import (
	"errors"
	"strings"
	"testing"
)

func TestReplicaSelectorClass(t *testing.T) {
	b, _ := mustLoad(t, "", nil, nil)
	if b.ReplicaSelectorClass != "" || b.RackAwareFetch() {
		t.Fatalf("default %q (rack-aware %v), want unset: leader only", b.ReplicaSelectorClass, b.RackAwareFetch())
	}
	for _, v := range []string{RackAwareReplicaSelector, RackAwareAlias} {
		b, _ := mustLoad(t, "", nil, map[string]string{"replica.selector.class": v})
		if !b.RackAwareFetch() {
			t.Errorf("%s: not rack-aware", v)
		}
	}
	_, _, err := load("", nil, map[string]string{"replica.selector.class": "com.example.MySelector"}, fixedHost)
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "replica.selector.class") || !strings.Contains(err.Error(), RackAwareReplicaSelector) {
		t.Fatalf("a custom selector: %v, want ErrNotSupported naming the property and the built-in selector", err)
	}
}
