package broker

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// listener is one parsed entry of listeners / advertised.listeners:
// NAME://host:port.
type listener struct {
	name string
	host string
	port int
}

func parseListener(s string) (listener, error) {
	name, addr, ok := strings.Cut(strings.TrimSpace(s), "://")
	if !ok {
		return listener{}, fmt.Errorf("listener %q: want NAME://host:port, e.g. PLAINTEXT://localhost:9092", s)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return listener{}, fmt.Errorf("listener %q: %v", s, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return listener{}, fmt.Errorf("listener %q: port %q is not a number in 0-65535", s, portStr)
	}
	return listener{name: strings.ToUpper(name), host: host, port: port}, nil
}

func parseListeners(list []string) ([]listener, error) {
	var out []listener
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		l, err := parseListener(s)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}
