package handler

import (
	"errors"
	"strings"
	"testing"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

func TestValidateTopicName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"events", true},
		{"a.b_c-D9", true},
		{strings.Repeat("x", 249), true},
		{strings.Repeat("x", 250), false},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a b", false},
		{"ünïcode", false},
	} {
		err := validateTopicName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, errInvalidTopic) {
			t.Errorf("%q: %v does not wrap errInvalidTopic", tc.name, err)
		}
	}
}

func TestCollidingTopic(t *testing.T) {
	img := &metadata.Image{Topics: map[string]*metadata.Topic{"a.b": {Name: "a.b"}, "c_d": {Name: "c_d"}}}
	for name, want := range map[string]string{"a_b": "a.b", "c.d": "c_d", "a.b": "", "x": ""} {
		if got := collidingTopic(img, name); got != want {
			t.Errorf("%s collides with %q, want %q", name, got, want)
		}
	}
}
