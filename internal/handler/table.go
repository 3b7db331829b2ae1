package handler

import "github.com/twmb/franz-go/pkg/kmsg"

// entries is the dispatch table: every API Gregor serves, with the versions
// it serves. ApiVersions answers from this list and nothing else.
func (h *handlers) entries() []Entry {
	return []Entry{
		// Produce v0-2 carry old message formats Gregor does not store;
		// they stay advertised (old librdkafka disables compression
		// unless Produce's minimum is 0) and are answered with
		// UNSUPPORTED_FOR_MESSAGE_FORMAT, as Kafka 4 does.
		{Key: kmsg.Produce.Int16(), MinVersion: 0, MaxVersion: 11, Handle: h.produce},
		{Key: kmsg.Fetch.Int16(), MinVersion: 4, MaxVersion: 16, Handle: h.fetch},
		{Key: kmsg.ListOffsets.Int16(), MinVersion: 1, MaxVersion: 9, Handle: h.listOffsets},
		{Key: kmsg.Metadata.Int16(), MinVersion: 0, MaxVersion: 12, Handle: h.metadata},
		{Key: kmsg.ApiVersions.Int16(), MinVersion: 0, MaxVersion: 4, Handle: h.apiVersions},
		{Key: kmsg.InitProducerID.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.initProducerID},
		{Key: kmsg.OffsetForLeaderEpoch.Int16(), MinVersion: 2, MaxVersion: 4, Handle: h.offsetForLeaderEpoch},
	}
}
