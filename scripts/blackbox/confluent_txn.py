#!/usr/bin/python3
"""Black-box check of transactions with python3-confluent-kafka
(librdkafka's transactional producer): a committed and an aborted
transaction, then a consume-transform-produce step that commits the
consumer's offsets with send_offsets_to_transaction. read_committed sees
only committed records, read_uncommitted sees the aborted ones too, and
the group's committed offsets are the ones sent in the transaction.
Usage: confluent_txn.py HOST:PORT"""
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

addr = sys.argv[1]
run = str(time.time_ns())
src, dst, group = f"py-txn-in-{run}", f"py-txn-out-{run}", f"py-txn-g-{run}"
admin = AdminClient({"bootstrap.servers": addr})


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def txn_producer(txn_id):
    p = Producer({"bootstrap.servers": addr, "transactional.id": txn_id, "transaction.timeout.ms": 30000})
    p.init_transactions(30)
    return p


def read_all(topic, isolation, expect):
    """Reads topic from the start until expect records arrived."""
    c = Consumer({"bootstrap.servers": addr, "group.id": f"reader-{isolation}-{run}",
                  "enable.auto.commit": False, "isolation.level": isolation})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(2)])
    out, deadline = [], time.time() + 60
    try:
        while len(out) < expect:
            if time.time() > deadline:
                fail(f"{isolation}: read {len(out)} of {expect} records of {topic}: {out}")
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                fail(f"consume error {m.error()}")
            out.append(m.value().decode())
    finally:
        c.close()
    return out


for t in admin.create_topics([NewTopic(src, num_partitions=2, replication_factor=1),
                              NewTopic(dst, num_partitions=2, replication_factor=1)]).values():
    t.result(30)

# A committed and an aborted transaction on the input topic.
p = txn_producer(f"py-txn-{run}")
p.begin_transaction()
for i in range(10):
    p.produce(src, f"c-{i}".encode(), key=str(i).encode())
p.commit_transaction(30)
p.begin_transaction()
for i in range(10):
    p.produce(src, f"a-{i}".encode(), key=str(i).encode())
p.flush(30)
p.abort_transaction(30)

committed = read_all(src, "read_committed", 10)
if sorted(committed) != sorted(f"c-{i}" for i in range(10)):
    fail(f"read_committed input: {committed}")
everything = read_all(src, "read_uncommitted", 20)
if sum(v.startswith("a-") for v in everything) != 10:
    fail(f"read_uncommitted did not see the aborted records: {everything}")

# Consume-transform-produce with the offsets in the transaction.
c = Consumer({"bootstrap.servers": addr, "group.id": group, "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "isolation.level": "read_committed"})
c.subscribe([src])
seen, deadline = [], time.time() + 60
while len(seen) < 10:
    if time.time() > deadline:
        fail(f"transform: consumed {len(seen)} of 10")
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        fail(f"consume error {m.error()}")
    seen.append(m)
etl = txn_producer(f"py-etl-{run}")
etl.begin_transaction()
for m in seen:
    etl.produce(dst, ("t-" + m.value().decode()).encode(), key=m.key())
positions = c.position(c.assignment())
etl.send_offsets_to_transaction(positions, c.consumer_group_metadata(), 30)
etl.commit_transaction(30)

out = read_all(dst, "read_committed", 10)
if sorted(out) != sorted(f"t-c-{i}" for i in range(10)):
    fail(f"transformed output: {out}")
got = {tp.partition: tp.offset for tp in c.committed([TopicPartition(src, 0), TopicPartition(src, 1)], 30)}
want = {tp.partition: tp.offset for tp in positions}
for part, off in want.items():
    if got.get(part) != off:
        fail(f"committed offsets {got}, want the positions sent in the transaction {want}")
c.close()
print("ok: committed/aborted transactions, read_committed/read_uncommitted, send_offsets_to_transaction")
