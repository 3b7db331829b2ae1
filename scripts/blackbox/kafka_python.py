#!/usr/bin/python3
"""Black-box check of a running Gregor broker with kafka-python: produce,
consume back, metadata. Usage: kafka_python.py HOST:PORT"""
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

addr = sys.argv[1]
topic = f"kp-{time.time_ns()}"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


admin = KafkaAdminClient(bootstrap_servers=addr)
admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
for codec in [None, "gzip"]:
    p = KafkaProducer(bootstrap_servers=addr, compression_type=codec, acks="all")
    for i in range(100):
        p.send(topic, key=b"k%d" % i, value=b"v%d" % i)
    p.flush(30)
    p.close()
c = KafkaConsumer(bootstrap_servers=addr, enable_auto_commit=False, consumer_timeout_ms=10000)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = [m for _, m in zip(range(200), c)]
c.close()
if len(got) != 200 or [m.offset for m in got] != list(range(200)):
    fail(f"consumed {len(got)} records")
if topic not in admin.list_topics():
    fail("topic missing from list_topics")
print("ok: kafka-python produce+consume 200 records, metadata")
print("kafka-python: all passed")
