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
		{Key: kmsg.Produce.Int16(), MinVersion: 0, MaxVersion: 11, Handle: h.produceHinted},
		{Key: kmsg.Fetch.Int16(), MinVersion: 4, MaxVersion: 16, Handle: h.fetchRouted},
		{Key: kmsg.ListOffsets.Int16(), MinVersion: 1, MaxVersion: 9, Handle: h.listOffsets},
		{Key: kmsg.Metadata.Int16(), MinVersion: 0, MaxVersion: 12, Handle: h.metadata},
		{Key: kmsg.ApiVersions.Int16(), MinVersion: 0, MaxVersion: 4, Handle: h.apiVersions},
		{Key: kmsg.InitProducerID.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.initProducerID},
		{Key: kmsg.CreateTopics.Int16(), MinVersion: 2, MaxVersion: 7, Handle: h.createTopics},
		{Key: kmsg.DeleteTopics.Int16(), MinVersion: 1, MaxVersion: 6, Handle: h.deleteTopics},
		{Key: kmsg.DeleteRecords.Int16(), MinVersion: 0, MaxVersion: 2, Handle: h.deleteRecords},
		{Key: kmsg.OffsetForLeaderEpoch.Int16(), MinVersion: 2, MaxVersion: 4, Handle: h.offsetForLeaderEpoch},
		{Key: kmsg.DescribeConfigs.Int16(), MinVersion: 1, MaxVersion: 4, Handle: h.describeConfigs},
		{Key: kmsg.AlterConfigs.Int16(), MinVersion: 0, MaxVersion: 2, Handle: h.alterConfigs},
		{Key: kmsg.DescribeLogDirs.Int16(), MinVersion: 1, MaxVersion: 4, Handle: h.describeLogDirs},
		{Key: kmsg.CreatePartitions.Int16(), MinVersion: 0, MaxVersion: 3, Handle: h.createPartitions},
		{Key: kmsg.IncrementalAlterConfigs.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.incrementalAlterConfigs},
		{Key: kmsg.DescribeCluster.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.describeCluster},
		{Key: kmsg.DescribeQuorum.Int16(), MinVersion: 0, MaxVersion: 2, Handle: h.describeQuorum},
		{Key: kmsg.AddRaftVoter.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.addRaftVoter},
		{Key: kmsg.RemoveRaftVoter.Int16(), MinVersion: 0, MaxVersion: 0, Handle: h.removeRaftVoter},
		{Key: kmsg.DescribeTopicPartitions.Int16(), MinVersion: 0, MaxVersion: 0, Handle: h.describeTopicPartitions},
		{Key: kmsg.ElectLeaders.Int16(), MinVersion: 0, MaxVersion: 2, Handle: h.electLeaders},
		{Key: kmsg.AlterPartitionAssignments.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.alterPartitionReassignments},
		{Key: kmsg.ListPartitionReassignments.Int16(), MinVersion: 0, MaxVersion: 0, Handle: h.listPartitionReassignments},
		// Consumer groups (internal/group).
		{Key: kmsg.OffsetCommit.Int16(), MinVersion: 0, MaxVersion: 9, Handle: h.offsetCommit},
		{Key: kmsg.OffsetFetch.Int16(), MinVersion: 0, MaxVersion: 9, Handle: h.offsetFetch},
		{Key: kmsg.FindCoordinator.Int16(), MinVersion: 0, MaxVersion: 6, Handle: h.findCoordinator},
		{Key: kmsg.JoinGroup.Int16(), MinVersion: 0, MaxVersion: 9, Handle: h.joinGroup},
		{Key: kmsg.Heartbeat.Int16(), MinVersion: 0, MaxVersion: 4, Handle: h.heartbeat},
		{Key: kmsg.LeaveGroup.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.leaveGroup},
		{Key: kmsg.SyncGroup.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.syncGroup},
		{Key: kmsg.DescribeGroups.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.describeGroups},
		{Key: kmsg.ListGroups.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.listGroups},
		{Key: kmsg.DeleteGroups.Int16(), MinVersion: 0, MaxVersion: 2, Handle: h.deleteGroups},
		{Key: kmsg.OffsetDelete.Int16(), MinVersion: 0, MaxVersion: 0, Handle: h.offsetDelete},
		// Transactions (internal/txn). EndTxn stops at v4 and
		// WriteTxnMarkers at v1: KIP-890 transaction version 2 is not
		// served.
		{Key: kmsg.AddPartitionsToTxn.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.addPartitionsToTxn},
		{Key: kmsg.AddOffsetsToTxn.Int16(), MinVersion: 0, MaxVersion: 4, Handle: h.addOffsetsToTxn},
		{Key: kmsg.EndTxn.Int16(), MinVersion: 0, MaxVersion: 4, Handle: h.endTxn},
		{Key: kmsg.WriteTxnMarkers.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.writeTxnMarkers},
		{Key: kmsg.TxnOffsetCommit.Int16(), MinVersion: 0, MaxVersion: 5, Handle: h.txnOffsetCommit},
		{Key: kmsg.DescribeProducers.Int16(), MinVersion: 0, MaxVersion: 0, Handle: h.describeProducers},
		{Key: kmsg.DescribeTransactions.Int16(), MinVersion: 0, MaxVersion: 0, Handle: h.describeTransactions},
		{Key: kmsg.ListTransactions.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.listTransactions},
		{Key: kmsg.ConsumerGroupHeartbeat.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.consumerGroupHeartbeat},
		{Key: kmsg.ConsumerGroupDescribe.Int16(), MinVersion: 0, MaxVersion: 1, Handle: h.consumerGroupDescribe},
	}
}
