package handler

// DescribeCluster (key 60)
//
//	v0: cluster id, controller, brokers (KIP-700)
//	v1: endpoint type (1 brokers, 2 controllers; KIP-919)
//
// Controllers are not a separate endpoint type yet: endpoint type 2 gets
// UNSUPPORTED_ENDPOINT_TYPE.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) describeCluster(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.SetVersion(r.Version)
	resp.EndpointType = req.EndpointType
	if r.Version >= 1 && req.EndpointType != 1 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		return Now(resp)
	}
	img := h.image()
	resp.ClusterID = img.ClusterID
	resp.ControllerID = img.ClientController(h.env.NodeID)
	for _, mb := range brokersOf(img) {
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port, b.Rack = mb.NodeID, mb.Host, mb.Port, mb.Rack
		resp.Brokers = append(resp.Brokers, b)
	}
	return Now(resp)
}
