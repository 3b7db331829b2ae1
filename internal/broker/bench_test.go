package broker_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// BenchmarkProduce measures produce throughput through a real client:
// 1 KiB records, 16 partitions, acks=all, idempotent, fsync before ack.
// b.N is the number of records.
func BenchmarkProduce(b *testing.B) {
	br := brokertest.Start(b, brokertest.Options{})
	topic := createBenchTopic(b, br.Addr(), 16)
	cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	value := make([]byte, 1024)
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	produceN(b, cl, b.N, value)
}

// BenchmarkConsume measures fetch throughput of 1 KiB records from 16
// partitions, from the start of the log. b.N is the number of records.
func BenchmarkConsume(b *testing.B) {
	br := brokertest.Start(b, brokertest.Options{})
	topic := createBenchTopic(b, br.Addr(), 16)
	p, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 1024)
	produceN(b, p, b.N, value)
	p.Close()
	c, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	for n := 0; n < b.N; {
		fs := c.PollFetches(context.Background())
		if errs := fs.Errors(); len(errs) > 0 {
			b.Fatal(errs[0].Err)
		}
		n += fs.NumRecords()
	}
}

func createBenchTopic(b *testing.B, addr string, partitions int32) string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	topic := fmt.Sprintf("bench-%d", b.N)
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
	return topic
}

func produceN(b *testing.B, cl *kgo.Client, n int, value []byte) {
	errs := make(chan error, 1)
	for i := 0; i < n; i++ {
		cl.Produce(context.Background(), &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
