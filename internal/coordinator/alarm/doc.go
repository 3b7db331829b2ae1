// Package alarm is the deadline timer of a coordinator's background
// goroutine (the group coordinator's timer goroutine, the transaction
// coordinator's background loop): the earliest time the goroutine must
// next run, set by whoever changes a deadline, and the wake-up that tells
// the waiting goroutine a deadline moved earlier.
//
// # Use
//
// Code that makes a deadline calls Set. The goroutine, in its loop,
// takes Timer (a channel firing at the time set, nil when none) and
// selects on it and on Wake; when it fires, it calls Clear before doing
// its due work, which sets the next deadlines again.
//
// # Concurrency
//
// Every method is safe for concurrent use. The alarm's mutex is taken
// last, under any lock of its caller (a coordinator's entry and map
// locks), and nothing is taken under it; Set never blocks.
package alarm
