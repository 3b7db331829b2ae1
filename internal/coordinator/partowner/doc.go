// Package partowner is the part of a coordinator (the group coordinator
// of internal/group, the transaction coordinator of internal/txn) that
// follows the leadership of its internal topic's partitions: which
// partitions are loaded, in which leader epoch, and the replay of a
// partition's log that loads it; and Topic, the internal topic itself,
// created on first need, whose partition leaders are the coordinators.
//
// A coordinator serves the entries (groups, transactional ids) of a
// partition of its internal topic only while this broker leads the
// partition, in one leader epoch. Owner keeps the set of loaded
// partitions with the epoch each was loaded in. Ensure, called before a
// request touches a partition's entries, unloads the partition if it was
// loaded in another epoch or is no longer led here, then loads it if it
// is not loaded; UnloadLost, run by the coordinator's goroutine after
// LeadershipChanged, unloads without waiting for a request. What a load
// and an unload do to the entries is the coordinator's (Config.Load,
// Config.Unload); Replay reads a partition's log batch by batch for a
// load. Hosted and Led answer from the latest metadata image which
// partitions this broker leads.
//
// # Concurrency
//
// Owner has no lock of its own: the set of loaded partitions is guarded
// by the coordinator's map lock (Config.Mu), the lock that guards the
// coordinator's entries, so a request sees a partition's entries and its
// loaded mark change together. Owner takes Mu itself in Ensure,
// UnloadLost and LoadLed; the caller must not hold it there. It calls
// Config.Load and Config.Unload with Mu held, and the function Unload
// returns after releasing it, so an entry's own lock (always taken
// before the map lock, never under it) is taken there. Config.Hosted
// is called both with and without Mu held; Config.Led and Config.Reopen
// only without. LoadedLocked needs Mu held. LeadershipChanged never
// blocks and may be called from anywhere. Topic's methods are safe for
// concurrent use; creating the topic is serialized by its own mutex,
// taken with no coordinator lock held.
//
// # Errors
//
// Ensure returns Hosted's error when this broker does not lead the
// partition (the coordinator's not-coordinator sentinel) and Load's when
// the replay failed; Replay's errors name the topic, partition and
// offset and wrap the cause.
package partowner
