#!/usr/bin/python3
"""Black-box check of a running Gregor broker with python3-confluent-kafka
(librdkafka): produce and consume back with every codec, consume from an
offset, list metadata. Usage: confluent.py HOST:PORT"""
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

addr = sys.argv[1]
run = str(time.time_ns())
admin = AdminClient({"bootstrap.servers": addr})


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def consume(topic, partition, offset, n):
    c = Consumer({"bootstrap.servers": addr, "group.id": "blackbox-" + run,
                  "enable.auto.commit": False, "enable.auto.offset.store": False})
    c.assign([TopicPartition(topic, partition, offset)])
    out, deadline = [], time.time() + 30
    while len(out) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            fail(f"{topic}: consume error {m.error()}")
        out.append(m)
    c.close()
    return out


for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
    topic = f"py-{codec}-{run}"
    fs = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    fs[topic].result(30)
    p = Producer({"bootstrap.servers": addr, "compression.type": codec,
                  "enable.idempotence": True, "acks": "all"})
    errors = []
    for i in range(300):
        p.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(),
                  headers=[("n", str(i).encode())],
                  on_delivery=lambda err, msg: errors.append(err) if err else None)
    if p.flush(30) != 0 or errors:
        fail(f"{codec}: produce failed: {errors[:3]}")
    msgs = consume(topic, 0, 0, 300)
    if len(msgs) != 300:
        fail(f"{codec}: consumed {len(msgs)} records, want 300")
    for i, m in enumerate(msgs):
        if m.offset() != i or m.key() != f"k{i}".encode() or m.value() != f"v{i}".encode() \
                or dict(m.headers())["n"] != str(i).encode():
            fail(f"{codec}: record {i} came back as offset {m.offset()} {m.key()} {m.value()}")
    print(f"ok: {codec} produce+consume 300 records")

topic = f"py-none-{run}"
msgs = consume(topic, 0, 250, 10)
if [m.offset() for m in msgs] != list(range(250, 260)):
    fail(f"consume from offset 250: got {[m.offset() for m in msgs]}")
print("ok: consume from an offset")

md = admin.list_topics(timeout=10)
if topic not in md.topics or len(md.brokers) != 1:
    fail(f"metadata: topics {list(md.topics)[:5]}, brokers {md.brokers}")
print("ok: metadata listing")
print("confluent-kafka: all passed")
