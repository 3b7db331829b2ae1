#!/usr/bin/python3
"""Black-box check of consumer groups with python3-confluent-kafka
(librdkafka's KafkaConsumer): two members share a topic and commit, then a
restarted member resumes from the committed offsets; the group shows up in
the admin API. Usage: confluent_group.py HOST:PORT"""
import sys
import threading
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

addr = sys.argv[1]
run = str(time.time_ns())
topic, group = f"py-group-{run}", f"py-g-{run}"
admin = AdminClient({"bootstrap.servers": addr})


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def produce(values):
    p = Producer({"bootstrap.servers": addr})
    for v in values:
        p.produce(topic, str(v).encode(), key=str(v).encode())
    if p.flush(30) != 0:
        fail("produce: records left unsent")


def member(seen, stop):
    """Consume and commit synchronously until stop is set."""
    c = Consumer({"bootstrap.servers": addr, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "session.timeout.ms": 6000})
    c.subscribe([topic])
    try:
        while not stop.is_set():
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                fail(f"consume error {m.error()}")
            seen.append(int(m.value()))
            c.commit(message=m, asynchronous=False)
    finally:
        c.close()


def wait(cond, what, timeout=60):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result(30)
produce(range(1, 201))
seen_a, seen_b, stop = [], [], threading.Event()
threads = [threading.Thread(target=member, args=(s, stop)) for s in (seen_a, seen_b)]
for t in threads:
    t.start()
wait(lambda: len(set(seen_a) | set(seen_b)) >= 200, "two members to consume 200 records")
stop.set()
for t in threads:
    t.join()
if set(seen_a) | set(seen_b) != set(range(1, 201)):
    fail("two members missed records")
print(f"ok: two members consumed 200 records ({len(seen_a)} and {len(seen_b)})")

if hasattr(admin, "list_consumer_groups"):
    names = [g.group_id for g in admin.list_consumer_groups().result(30).valid]
else:  # confluent-kafka before 2.0
    names = [g.id for g in admin.list_groups(timeout=30)]
if group not in names:
    fail(f"list_consumer_groups lacks {group}")
print("ok: group listed")

produce(range(201, 251))
seen_c, stop = [], threading.Event()
t = threading.Thread(target=member, args=(seen_c, stop))
t.start()
wait(lambda: len(seen_c) >= 50, "the restarted member to consume 50 records")
stop.set()
t.join()
if min(seen_c) < 201:
    fail(f"restarted member re-read value {min(seen_c)}: committed offsets lost")
print("ok: restarted member resumed from the committed offsets")
print("confluent-kafka groups: all passed")
