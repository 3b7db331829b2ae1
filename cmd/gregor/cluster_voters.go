package main

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// `gregor cluster add-voter` and `remove-voter`: the metadata quorum's
// membership changes, as Kafka's kafka-metadata-quorum add-controller /
// remove-controller (KIP-853's AddRaftVoter and RemoveRaftVoter).

func newClusterAddVoterCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "add-voter ID [HOST:PORT]",
		Short: "Make node ID a voter of the metadata quorum (it must run and follow the quorum as an observer first)",
		Long: `Make node ID a voter of the metadata quorum (AddRaftVoter). The node must
already follow the quorum as an observer: start it with process.roles
controller (or broker,controller) and a node.id that is not in
controller.quorum.voters, wait until 'gregor cluster quorum' lists it as an
observer that has caught up, then run this. HOST:PORT, if given, replaces
the node's controller (Raft) address. Then add the node to
controller.quorum.voters in every node's configuration, for the next
restarts.`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := voterID(cmd, args[0])
			if err != nil {
				return err
			}
			req := kmsg.NewPtrAddRaftVoterRequest()
			req.VoterID = id
			req.TimeoutMillis = int32(adminTimeout.Milliseconds())
			if len(args) == 2 {
				host, port, err := net.SplitHostPort(args[1])
				p, perr := strconv.ParseUint(port, 10, 16)
				if err != nil || perr != nil || host == "" {
					return badUsage(cmd, "%q is not host:port", args[1])
				}
				l := kmsg.NewAddRaftVoterRequestListener()
				l.Name, l.Host, l.Port = "CONTROLLER", host, uint16(p)
				req.Listeners = append(req.Listeners, l)
			}
			err = g.voterRequest(cmd.Context(), req)
			if err != nil {
				return failure(fmt.Sprintf("add voter %d", id), err, g.brokers)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node %d is a voter\n", id)
			return nil
		},
	}
}

func newClusterRemoveVoterCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove-voter ID",
		Short: "Remove node ID from the metadata quorum (a voter, or an observer)",
		Long: `Remove node ID from the metadata quorum (RemoveRaftVoter). Removing the
active controller makes it step down and the other voters elect a new one.
Stop the removed node afterwards and take it out of controller.quorum.voters
everywhere; started again with an id outside controller.quorum.voters, it
joins as an observer and can be added back with add-voter.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := voterID(cmd, args[0])
			if err != nil {
				return err
			}
			req := kmsg.NewPtrRemoveRaftVoterRequest()
			req.VoterID = id
			err = g.voterRequest(cmd.Context(), req)
			if err != nil {
				return failure(fmt.Sprintf("remove voter %d", id), err, g.brokers)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node %d is no longer in the quorum\n", id)
			return nil
		},
	}
}

func voterID(cmd *cobra.Command, s string) (int32, error) {
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil || id < 0 {
		return 0, badUsage(cmd, "node id %q is not a non-negative integer", s)
	}
	return int32(id), nil
}

// voterRequest sends one membership request (AddRaftVoter or
// RemoveRaftVoter) and turns its error code (and message) into an error.
func (g *globals) voterRequest(ctx context.Context, req kmsg.Request) error {
	var resp kmsg.Response
	err := g.withClient(ctx, func(ctx context.Context, cl *kgo.Client) (err error) {
		resp, err = cl.Request(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	var code int16
	var msg *string
	switch r := resp.(type) {
	case *kmsg.AddRaftVoterResponse:
		code, msg = r.ErrorCode, r.ErrorMessage
	case *kmsg.RemoveRaftVoterResponse:
		code, msg = r.ErrorCode, r.ErrorMessage
	default:
		return fmt.Errorf("unexpected response %T to a membership request", resp)
	}
	return withMessage(kerr.ErrorForCode(code), derefOr(msg))
}
