"""`python -m fastlog.bench`: fastlog beside Apache Kafka on the same machine. See docs/bench.md.

runner.py orchestrates (brokers, workloads, repetitions), load.py is the confluent-kafka load that
runs in processes of its own, javaperf.py runs Kafka's ProducerPerformance/ConsumerPerformance,
baseline.py/baseline.c measure the machine's loopback-to-file limit, procstats.py reads a broker's
CPU and memory from /proc, report.py writes bench-results/ (JSON, markdown, PNG).
"""
