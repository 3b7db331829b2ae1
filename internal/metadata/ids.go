package metadata

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// newUUID returns a random version-4 UUID that is neither zero nor, in
// Kafka's base64url form, starts with '-' (Kafka avoids those so that the
// string form cannot be mistaken for a command-line flag).
func newUUID() ([16]byte, error) {
	for {
		var u [16]byte
		if _, err := rand.Read(u[:]); err != nil {
			return u, fmt.Errorf("metadata: random uuid: %w", err)
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		if u != [16]byte{} && base64.RawURLEncoding.EncodeToString(u[:])[0] != '-' {
			return u, nil
		}
	}
}

// newClusterID returns a Kafka-style cluster id: a random UUID in
// base64url without padding (22 characters).
func newClusterID() (string, error) {
	u, err := newUUID()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(u[:]), nil
}

// newSeed returns a random placement seed.
func newSeed() (uint32, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("metadata: random seed: %w", err)
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), nil
}
