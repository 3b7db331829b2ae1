package partowner

import (
	"testing"

	"go.uber.org/goleak"
)

// The Topic test starts a metadata node, whose goroutines must be gone
// after it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
