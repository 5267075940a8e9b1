// Command franzgo drives a fastlog broker with franz-go (kgo + kadm), the Go Kafka client, and
// checks what comes back. It prints one JSON line of results and exits 1 on any mismatch or error.
//
// Modes:
//
//	roundtrip  produce -count keyed records with headers (idempotent, acks=all, -codec) to a new
//	           6-partition topic, consume them back by direct partition consumption from the start,
//	           check keys/values/headers/order/offsets per partition and the listed end offsets.
//	group      a consumer group consumes and commits; after more records are produced, a second
//	           run of the same group resumes exactly at the committed offsets (nothing re-read).
//	           Then two members of a fresh group settle on an even split and read everything;
//	           OffsetDelete and DeleteGroups clean up the first group.
//	admin      kadm: create (and create again), list, describe broker and topic configs, list
//	           offsets (start, end, by time), delete records, create partitions, list brokers,
//	           delete topic, auto-create on produce.
//	txn        consume-transform-produce with kgo.GroupTransactSession: -count records of the
//	           topic are copied to <topic>-out in transactions that carry the group's offsets;
//	           a read_committed read of <topic>-out must hold every record exactly once, and the
//	           group's committed offsets must be at the end of the input.
//
// Security (roundtrip, group and admin modes): -tls-ca ca.pem connects over TLS trusting that
// CA; -sasl PLAIN|SCRAM-SHA-256|SCRAM-SHA-512 with -user/-password logs in (over TLS if -tls-ca).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// result is the single JSON line printed at the end.
type result struct {
	Mode      string         `json:"mode"`
	Codec     string         `json:"codec,omitempty"`
	Topic     string         `json:"topic"`
	Produced  int            `json:"produced"`
	Consumed  int            `json:"consumed"`
	PerPart   map[int32]int  `json:"per_partition,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
	Steps     []string       `json:"steps,omitempty"`
	Errors    []string       `json:"errors"`
	ElapsedMs int64          `json:"elapsed_ms"`
}

func (r *result) fail(format string, args ...any) {
	// Cap the list so a systematic mismatch does not print 20,000 lines.
	if len(r.Errors) < 50 {
		r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
	}
}

func (r *result) step(name string) { r.Steps = append(r.Steps, name) }

var codecs = map[string]struct {
	c  kgo.CompressionCodec
	id uint8 // compression id in the batch attributes
}{
	"none":   {kgo.NoCompression(), 0},
	"gzip":   {kgo.GzipCompression(), 1},
	"snappy": {kgo.SnappyCompression(), 2},
	"lz4":    {kgo.Lz4Compression(), 3},
	"zstd":   {kgo.ZstdCompression(), 4},
}

type config struct {
	bootstrap  string
	topic      string
	group      string
	count      int
	codec      string
	mode       string
	partitions int
	timeout    time.Duration
	verbose    bool
	tlsCA      string // PEM file of the CA to trust; "" = no TLS
	sasl       string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; "" = no SASL
	user       string
	password   string
}

// securityOpts: the TLS and SASL client options the -tls-ca / -sasl flags ask for.
func securityOpts(cfg config) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if cfg.tlsCA != "" {
		pem, err := os.ReadFile(cfg.tlsCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", cfg.tlsCA)
		}
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	var mechanism sasl.Mechanism
	switch cfg.sasl {
	case "":
	case "PLAIN":
		mechanism = plain.Auth{User: cfg.user, Pass: cfg.password}.AsMechanism()
	case "SCRAM-SHA-256":
		mechanism = scram.Auth{User: cfg.user, Pass: cfg.password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		mechanism = scram.Auth{User: cfg.user, Pass: cfg.password}.AsSha512Mechanism()
	default:
		return nil, fmt.Errorf("unknown SASL mechanism %q", cfg.sasl)
	}
	if mechanism != nil {
		opts = append(opts, kgo.SASL(mechanism))
	}
	return opts, nil
}

// sent is what we produced for one record, plus where the broker put it.
type sent struct {
	seq       int
	key       []byte
	value     []byte
	headers   []kgo.RecordHeader
	partition int32
	offset    int64
}

func makeRecord(topic, codec string, seq int) *kgo.Record {
	// Values vary in size and compress well, so the client actually compresses its batches.
	pad := bytes.Repeat([]byte{'x'}, seq%200)
	return &kgo.Record{
		Topic: topic,
		Key:   []byte("key-" + strconv.Itoa(seq)),
		Value: append([]byte(fmt.Sprintf("value-%d-", seq)), pad...),
		Headers: []kgo.RecordHeader{
			{Key: "seq", Value: []byte(strconv.Itoa(seq))},
			{Key: "codec", Value: []byte(codec)},
			{Key: "bin", Value: []byte{0, 1, 2, 0xff, byte(seq)}},
			{Key: "empty", Value: []byte{}},
		},
	}
}

func newClient(cfg config, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(cfg.bootstrap),
		kgo.ClientID("fastlog-franzgo-test"),
		// Fail fast instead of retrying for minutes when the broker misbehaves.
		kgo.RequestTimeoutOverhead(5 * time.Second),
		kgo.RetryTimeout(20 * time.Second),
	}
	security, err := securityOpts(cfg)
	if err != nil {
		return nil, err
	}
	base = append(base, security...)
	if cfg.verbose {
		base = append(base, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	} else {
		base = append(base, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, nil)))
	}
	return kgo.NewClient(append(base, opts...)...)
}

// produce sends seqs [from, to) with the codec, idempotent (franz-go's default) and acks=all,
// and returns them in seq order with the partition and offset the broker assigned.
func produce(ctx context.Context, cfg config, res *result, from, to int) ([]*sent, error) {
	cl, err := newClient(cfg,
		kgo.DefaultProduceTopic(cfg.topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(codecs[cfg.codec].c),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := make([]*sent, to-from)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for seq := from; seq < to; seq++ {
		rec := makeRecord(cfg.topic, cfg.codec, seq)
		s := &sent{seq: seq, key: rec.Key, value: rec.Value, headers: rec.Headers}
		out[seq-from] = s
		wg.Add(1)
		cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("produce seq %d: %w", s.seq, err)
				}
				return
			}
			s.partition, s.offset = r.Partition, r.Offset
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	res.Produced += len(out)
	return out, nil
}

// byPartition groups produced records per partition in offset order and checks that the broker
// assigned contiguous offsets starting at `start[p]` in the order we produced (idempotent
// producing keeps per-partition order).
func byPartition(res *result, recs []*sent, start map[int32]int64) map[int32][]*sent {
	parts := map[int32][]*sent{}
	for _, s := range recs {
		parts[s.partition] = append(parts[s.partition], s)
	}
	for p, list := range parts {
		sort.Slice(list, func(i, j int) bool { return list[i].offset < list[j].offset })
		for i, s := range list {
			if want := start[p] + int64(i); s.offset != want {
				res.fail("produce: partition %d record #%d (seq %d) got offset %d, want %d", p, i, s.seq, s.offset, want)
			}
			if i > 0 && list[i-1].seq > s.seq {
				res.fail("produce: partition %d order broken: seq %d at offset %d after seq %d", p, s.seq, s.offset, list[i-1].seq)
			}
		}
	}
	return parts
}

// checkRecord compares a consumed record with what was produced there.
func checkRecord(res *result, cfg config, r *kgo.Record, want *sent) {
	where := fmt.Sprintf("partition %d offset %d", r.Partition, r.Offset)
	if !bytes.Equal(r.Key, want.key) {
		res.fail("%s: key %q, want %q", where, r.Key, want.key)
	}
	if !bytes.Equal(r.Value, want.value) {
		res.fail("%s: value %.40q, want %.40q", where, r.Value, want.value)
	}
	if len(r.Headers) != len(want.headers) {
		res.fail("%s: %d headers, want %d", where, len(r.Headers), len(want.headers))
	} else {
		for i, h := range r.Headers {
			if h.Key != want.headers[i].Key || !bytes.Equal(h.Value, want.headers[i].Value) {
				res.fail("%s: header %d = %q:%q, want %q:%q", where, i, h.Key, h.Value, want.headers[i].Key, want.headers[i].Value)
			}
		}
	}
	if r.ProducerID < 0 {
		res.fail("%s: producer id %d: the batch was not produced idempotently", where, r.ProducerID)
	}
	if r.Attrs.TimestampType() != 0 {
		res.fail("%s: timestamp type %d, want 0 (CreateTime)", where, r.Attrs.TimestampType())
	}
	if age := time.Since(r.Timestamp); age < -time.Minute || age > 10*time.Minute {
		res.fail("%s: implausible timestamp %v", where, r.Timestamp)
	}
}

// checkCompression: franz-go sends a batch uncompressed when compressing does not shrink it, so
// with a codec most (not all) records arrive compressed; without one, none may.
func checkCompression(res *result, cfg config, byType map[uint8]int, total int) {
	id := codecs[cfg.codec].id
	for t, n := range byType {
		if t != id && t != 0 {
			res.fail("%d records arrived with compression %d, produced with %s (%d)", n, t, cfg.codec, id)
		}
	}
	if id != 0 && byType[id]*2 < total {
		res.fail("only %d of %d records arrived compressed with %s", byType[id], total, cfg.codec)
	}
	res.Extra["compression_counts"] = byType
}

func createTopic(ctx context.Context, adm *kadm.Client, cfg config, res *result) error {
	resp, err := adm.CreateTopic(ctx, int32(cfg.partitions), 1, nil, cfg.topic)
	if err != nil {
		return fmt.Errorf("create topic %s: %w (%s)", cfg.topic, err, resp.ErrMessage)
	}
	if resp.NumPartitions != int32(cfg.partitions) {
		res.fail("create topic: NumPartitions %d, want %d", resp.NumPartitions, cfg.partitions)
	}
	return nil
}

func checkEndOffsets(ctx context.Context, adm *kadm.Client, res *result, topic string, want map[int32]int64, nparts int) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		res.fail("list end offsets: %v", err)
		return
	}
	for p := int32(0); p < int32(nparts); p++ {
		lo, ok := ends.Lookup(topic, p)
		if !ok || lo.Err != nil || lo.Offset != want[p] {
			res.fail("end offset of partition %d: %+v (found %v), want %d", p, lo, ok, want[p])
		}
	}
}

func runRoundtrip(ctx context.Context, cfg config, res *result) error {
	admCl, err := newClient(cfg)
	if err != nil {
		return err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if err := createTopic(ctx, adm, cfg, res); err != nil {
		return err
	}
	res.step("create_topic")

	recs, err := produce(ctx, cfg, res, 0, cfg.count)
	if err != nil {
		return err
	}
	parts := byPartition(res, recs, map[int32]int64{})
	res.step("produce")
	if len(parts) != cfg.partitions {
		res.fail("records landed in %d partitions, want all %d", len(parts), cfg.partitions)
	}

	// Direct partition consumption (no group) from the start of every partition.
	assign := map[int32]kgo.Offset{}
	for p := 0; p < cfg.partitions; p++ {
		assign[int32(p)] = kgo.NewOffset().AtStart()
	}
	cons, err := newClient(cfg, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cfg.topic: assign}))
	if err != nil {
		return err
	}
	defer cons.Close()
	got := map[int32]int{}
	byType := map[uint8]int{}
	pids := map[int64]bool{}
	for res.Consumed < cfg.count {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("consumed %d of %d before the deadline", res.Consumed, cfg.count)
		}
		for _, fe := range fs.Errors() {
			res.fail("fetch %s[%d]: %v", fe.Topic, fe.Partition, fe.Err)
		}
		if len(fs.Errors()) > 0 {
			return errors.New("fetch errors")
		}
		fs.EachRecord(func(r *kgo.Record) {
			res.Consumed++
			i := got[r.Partition]
			got[r.Partition]++
			list := parts[r.Partition]
			if i >= len(list) {
				res.fail("partition %d: extra record at offset %d", r.Partition, r.Offset)
				return
			}
			if r.Offset != int64(i) {
				res.fail("partition %d: record #%d has offset %d (offsets not contiguous)", r.Partition, i, r.Offset)
			}
			checkRecord(res, cfg, r, list[i])
			byType[r.Attrs.CompressionType()]++
			pids[r.ProducerID] = true
		})
	}
	res.step("consume")
	res.PerPart = got
	for p, list := range parts {
		if got[p] != len(list) {
			res.fail("partition %d: consumed %d, produced %d", p, got[p], len(list))
		}
	}
	if len(pids) != 1 {
		res.fail("records carry %d producer ids, want 1 (one idempotent producer)", len(pids))
	}
	checkCompression(res, cfg, byType, res.Consumed)

	ends := map[int32]int64{}
	for p, list := range parts {
		ends[p] = int64(len(list))
	}
	checkEndOffsets(ctx, adm, res, cfg.topic, ends, cfg.partitions)
	res.step("list_end_offsets")
	return nil
}

// groupRun is one run of the consumer group: consume `want` records, commit, leave.
// It returns the first offset it saw per partition.
func groupRun(ctx context.Context, cfg config, res *result, adm *kadm.Client, want int, minSeq int, label string) (map[int32]int64, error) {
	cl, err := newClient(cfg,
		kgo.ConsumerGroup(cfg.group),
		kgo.ConsumeTopics(cfg.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close() // leaves the group
	first := map[int32]int64{}
	next := map[int32]int64{}
	seen := map[int]bool{}
	n := 0
	for n < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: consumed %d of %d before the deadline", label, n, want)
		}
		for _, fe := range fs.Errors() {
			res.fail("%s: fetch %s[%d]: %v", label, fe.Topic, fe.Partition, fe.Err)
		}
		if len(fs.Errors()) > 0 {
			return nil, errors.New("fetch errors")
		}
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if _, ok := first[r.Partition]; !ok {
				first[r.Partition] = r.Offset
			} else if r.Offset != next[r.Partition] {
				res.fail("%s: partition %d offset %d follows %d", label, r.Partition, r.Offset, next[r.Partition]-1)
			}
			next[r.Partition] = r.Offset + 1
			seq, _ := strconv.Atoi(string(r.Headers[0].Value))
			if seq < minSeq {
				res.fail("%s: re-read seq %d (partition %d offset %d) that an earlier run committed", label, seq, r.Partition, r.Offset)
			}
			if seen[seq] {
				res.fail("%s: seq %d delivered twice", label, seq)
			}
			seen[seq] = true
		})
	}
	res.Consumed += n

	// While this member is in the group: it is Stable and owns every partition.
	dg, err := adm.DescribeGroups(ctx, cfg.group)
	if err != nil {
		res.fail("%s: describe group: %v", label, err)
	} else if g, ok := dg[cfg.group]; !ok || g.Err != nil || g.State != "Stable" || len(g.Members) != 1 {
		res.fail("%s: described group %+v", label, g)
	} else if owned := g.AssignedPartitions()[cfg.topic]; len(owned) != cfg.partitions {
		res.fail("%s: member owns %d partitions, want %d", label, len(owned), cfg.partitions)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return nil, fmt.Errorf("%s: commit: %w", label, err)
	}
	res.step(label)
	return first, nil
}

// groupPair runs two members of a fresh group at once: franz-go's default cooperative-sticky
// balancer must settle on a Stable group with the partitions split evenly and disjointly, and
// between them the members must read every one of the `total` records (a rebalance may hand a
// partition over before its offsets are committed, so duplicates are allowed, losses are not).
func groupPair(ctx context.Context, cfg config, res *result, adm *kadm.Client, total int) error {
	group := cfg.group + "-pair"
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	var clients []*kgo.Client
	defer func() {
		stop()
		wg.Wait()
		for _, cl := range clients {
			cl.Close()
		}
	}()
	for i := 0; i < 2; i++ {
		cl, err := newClient(cfg,
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(cfg.topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.ClientID(fmt.Sprintf("franzgo-member-%d", i)),
		)
		if err != nil {
			return err
		}
		clients = append(clients, cl)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil {
				fs := cl.PollFetches(pctx)
				fs.EachError(func(t string, p int32, err error) {
					if !errors.Is(err, context.Canceled) {
						mu.Lock()
						res.fail("pair: fetch %s[%d]: %v", t, p, err)
						mu.Unlock()
					}
				})
				mu.Lock()
				fs.EachRecord(func(r *kgo.Record) {
					seq, _ := strconv.Atoi(string(r.Headers[0].Value))
					seen[seq] = true
				})
				mu.Unlock()
			}
		}()
		// Let the first member join and start reading, so the second forces a real rebalance.
		time.Sleep(300 * time.Millisecond)
	}

	var last string
	for {
		if pctx.Err() != nil {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			return fmt.Errorf("pair: group never settled (read %d of %d); last: %s", n, total, last)
		}
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		dg, err := adm.DescribeGroups(pctx, group)
		if err != nil {
			last = err.Error()
			continue
		}
		g := dg[group]
		owned := map[int32]int{}
		var sizes []int
		for _, m := range g.Members {
			a, ok := m.Assigned.AsConsumer()
			if !ok {
				continue
			}
			size := 0
			for _, t := range a.Topics {
				for _, p := range t.Partitions {
					owned[p]++
					size++
				}
			}
			sizes = append(sizes, size)
		}
		last = fmt.Sprintf("state %s, member partition counts %v, read %d", g.State, sizes, n)
		even := len(sizes) == 2 && sizes[0] == cfg.partitions/2 && sizes[1] == cfg.partitions-cfg.partitions/2
		disjoint := len(owned) == cfg.partitions
		for _, c := range owned {
			disjoint = disjoint && c == 1
		}
		if g.State == "Stable" && even && disjoint && n == total {
			break
		}
	}
	res.Extra["pair"] = last
	res.step("group_pair")
	return nil
}

// checkCommitted: the group's committed offsets equal the partitions' end offsets.
func checkCommitted(ctx context.Context, cfg config, res *result, adm *kadm.Client, label string) map[int32]int64 {
	committed := map[int32]int64{}
	ors, err := adm.FetchOffsets(ctx, cfg.group)
	if err != nil {
		res.fail("%s: fetch offsets: %v", label, err)
		return committed
	}
	ends, err := adm.ListEndOffsets(ctx, cfg.topic)
	if err != nil {
		res.fail("%s: list end offsets: %v", label, err)
		return committed
	}
	for p := int32(0); p < int32(cfg.partitions); p++ {
		o, ok := ors.Lookup(cfg.topic, p)
		e, _ := ends.Lookup(cfg.topic, p)
		if !ok || o.Err != nil || o.At != e.Offset {
			res.fail("%s: partition %d committed %+v (found %v), end offset %d", label, p, o, ok, e.Offset)
		}
		committed[p] = o.At
	}
	return committed
}

func hasGroup(lg kadm.ListedGroups, group string) bool { _, ok := lg[group]; return ok }

// committedEnd is the end offset of one partition, -2 when it cannot be listed.
func committedEnd(ctx context.Context, adm *kadm.Client, topic string, p int32) int64 {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if o, ok := ends.Lookup(topic, p); err == nil && ok && o.Err == nil {
		return o.Offset
	}
	return -2
}

func runGroup(ctx context.Context, cfg config, res *result) error {
	admCl, err := newClient(cfg)
	if err != nil {
		return err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if err := createTopic(ctx, adm, cfg, res); err != nil {
		return err
	}
	first := cfg.count
	if _, err := produce(ctx, cfg, res, 0, first); err != nil {
		return err
	}
	if _, err := groupRun(ctx, cfg, res, adm, first, 0, "group_run1"); err != nil {
		return err
	}
	committed1 := checkCommitted(ctx, cfg, res, adm, "after run 1")

	more := cfg.count / 2
	if _, err := produce(ctx, cfg, res, first, first+more); err != nil {
		return err
	}
	starts, err := groupRun(ctx, cfg, res, adm, more, first, "group_run2")
	if err != nil {
		return err
	}
	// The second run started every partition it read exactly where run 1 committed.
	for p, off := range starts {
		if off != committed1[p] {
			res.fail("run 2 started partition %d at %d, committed was %d", p, off, committed1[p])
		}
	}
	checkCommitted(ctx, cfg, res, adm, "after run 2")

	if err := groupPair(ctx, cfg, res, adm, first+more); err != nil {
		return err
	}

	lg, err := adm.ListGroups(ctx)
	if err != nil {
		res.fail("list groups: %v", err)
	} else if g, ok := lg[cfg.group]; !ok || g.ProtocolType != "consumer" {
		res.fail("list groups: %s missing or wrong: %+v", cfg.group, lg[cfg.group])
	}
	res.step("list_groups")
	res.Extra["committed_after_run1"] = committed1

	// OffsetDelete of partition 0 on the (now empty) group drops just that commit; DeleteGroups
	// then removes the group and the rest of its offsets.
	ds, err := adm.DeleteOffsets(ctx, cfg.group, kadm.TopicsSet{cfg.topic: {0: {}}})
	if err != nil || ds.Error() != nil {
		res.fail("delete offsets: %v %v", err, ds.Error())
	}
	if ors, err := adm.FetchOffsets(ctx, cfg.group); err != nil {
		res.fail("fetch offsets after delete offsets: %v", err)
	} else {
		if o, ok := ors.Lookup(cfg.topic, 0); ok && o.At >= 0 {
			res.fail("partition 0 still committed at %d after delete offsets", o.At)
		}
		if o, ok := ors.Lookup(cfg.topic, 1); !ok || o.At != committedEnd(ctx, adm, cfg.topic, 1) {
			res.fail("partition 1 commit lost by deleting partition 0's: %+v", o)
		}
	}
	res.step("delete_offsets")
	if dg, err := adm.DeleteGroup(ctx, cfg.group); err != nil || dg.Err != nil {
		res.fail("delete group: %v %v", err, dg.Err)
	}
	if lg, err := adm.ListGroups(ctx); err != nil || hasGroup(lg, cfg.group) {
		res.fail("group still listed after delete (err %v)", err)
	}
	res.step("delete_group")
	return nil
}

func runAdmin(ctx context.Context, cfg config, res *result) error {
	cl, err := newClient(cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic := cfg.topic
	const nparts = 3

	// create, with a topic config
	retention := "3600000"
	resp, err := adm.CreateTopic(ctx, nparts, 1, map[string]*string{"retention.ms": &retention}, topic)
	if err != nil {
		return fmt.Errorf("create topic: %w (%s)", err, resp.ErrMessage)
	}
	if resp.NumPartitions != nparts || resp.ReplicationFactor != 1 {
		res.fail("create topic: %d partitions rf %d, want %d rf 1", resp.NumPartitions, resp.ReplicationFactor, nparts)
	}
	res.step("create_topic")

	// creating it again is TOPIC_ALREADY_EXISTS
	if _, err := adm.CreateTopic(ctx, nparts, 1, nil, topic); !errors.Is(err, kerr.TopicAlreadyExists) {
		res.fail("create existing topic: got %v, want TOPIC_ALREADY_EXISTS", err)
	}
	res.step("create_existing_topic")

	// list topics: ours, with its partitions led by the single broker
	brokers, err := adm.ListBrokers(ctx)
	if err != nil || len(brokers) != 1 {
		return fmt.Errorf("list brokers: %v %v", brokers, err)
	}
	res.step("list_brokers")
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil || len(td.Partitions) != nparts || td.IsInternal {
		res.fail("list topics: %s = %+v (found %v)", topic, td, ok)
	}
	for _, pd := range td.Partitions {
		if pd.Leader != brokers[0].NodeID || pd.Err != nil {
			res.fail("list topics: partition %d leader %d err %v, want leader %d", pd.Partition, pd.Leader, pd.Err, brokers[0].NodeID)
		}
	}
	res.Extra["topics_listed"] = len(tds)
	res.step("list_topics")

	// describe configs: the value we set, marked as a dynamic topic config
	// By id: with no id kadm asks for the cluster default resource (""), which lists only
	// dynamic default configs, as Kafka does.
	bcs, err := adm.DescribeBrokerConfigs(ctx, brokers[0].NodeID)
	if err != nil || len(bcs) != 1 || bcs[0].Err != nil || len(bcs[0].Configs) == 0 {
		res.fail("describe broker configs: %+v %v", bcs, err)
	} else {
		res.Extra["broker_configs"] = len(bcs[0].Configs)
	}
	res.step("describe_broker_configs")

	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe topic configs: %w", err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		res.fail("describe topic configs: %v %v", err, rc.Err)
	}
	found := map[string]string{}
	for _, c := range rc.Configs {
		found[c.Key] = c.MaybeValue()
		if c.Key == "retention.ms" && c.Source.String() != "DYNAMIC_TOPIC_CONFIG" {
			res.fail("retention.ms source %s, want DYNAMIC_TOPIC_CONFIG", c.Source)
		}
	}
	if found["retention.ms"] != retention {
		res.fail("describe configs: retention.ms=%q, want %q", found["retention.ms"], retention)
	}
	if _, ok := found["cleanup.policy"]; !ok {
		res.fail("describe configs: cleanup.policy missing (got %d configs)", len(found))
	}
	res.Extra["topic_configs"] = len(found)
	res.step("describe_topic_configs")

	// produce 10*(p+1) records to partition p with timestamps base+i ms, for offset lookups
	prod, err := newClient(cfg, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for p := int32(0); p < nparts; p++ {
		for i := 0; i < 10*int(p+1); i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(strconv.Itoa(i)),
				Timestamp: base.Add(time.Duration(i) * time.Millisecond)})
		}
	}
	err = prod.ProduceSync(ctx, recs...).FirstErr()
	prod.Close()
	if err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	res.Produced += len(recs)
	res.step("produce")

	checkOffsets := func(label string, lo kadm.ListedOffsets, err error, want func(p int32) int64) {
		if err != nil {
			res.fail("%s: %v", label, err)
			return
		}
		for p := int32(0); p < nparts; p++ {
			o, ok := lo.Lookup(topic, p)
			if !ok || o.Err != nil || o.Offset != want(p) {
				res.fail("%s: partition %d = %+v (found %v), want offset %d", label, p, o, ok, want(p))
			}
		}
		res.step(label)
	}
	lo, err := adm.ListStartOffsets(ctx, topic)
	checkOffsets("list_start_offsets", lo, err, func(int32) int64 { return 0 })
	lo, err = adm.ListEndOffsets(ctx, topic)
	checkOffsets("list_end_offsets", lo, err, func(p int32) int64 { return 10 * int64(p+1) })
	lo, err = adm.ListOffsetsAfterMilli(ctx, base.UnixMilli()+7, topic)
	checkOffsets("list_offsets_after_milli", lo, err, func(int32) int64 { return 7 })

	// delete records below offset 4 of partition 0: its start offset moves
	var dos kadm.Offsets
	dos.Add(kadm.Offset{Topic: topic, Partition: 0, At: 4})
	drs, err := adm.DeleteRecords(ctx, dos)
	if err != nil {
		res.fail("delete records: %v", err)
	} else if dr, ok := drs.Lookup(topic, 0); !ok || dr.Err != nil || dr.LowWatermark != 4 {
		res.fail("delete records: %+v (found %v), want low watermark 4", dr, ok)
	}
	res.step("delete_records")
	lo, err = adm.ListStartOffsets(ctx, topic)
	checkOffsets("list_start_offsets_after_delete", lo, err, func(p int32) int64 {
		if p == 0 {
			return 4
		}
		return 0
	})

	// create partitions: 3 -> 5
	cps, err := adm.CreatePartitions(ctx, 2, topic)
	if err != nil {
		res.fail("create partitions: %v", err)
	} else if cp, ok := cps[topic]; !ok || cp.Err != nil {
		res.fail("create partitions: %+v", cp)
	}
	if tds, err := adm.ListTopics(ctx, topic); err != nil || len(tds[topic].Partitions) != nparts+2 {
		res.fail("after create partitions: %+v %v", tds[topic], err)
	}
	res.step("create_partitions")

	// delete: gone from the listing; deleting again is UNKNOWN_TOPIC_OR_PARTITION
	dts, err := adm.DeleteTopics(ctx, topic)
	if err != nil {
		res.fail("delete topic: %v", err)
	} else if dt, ok := dts[topic]; !ok || dt.Err != nil {
		res.fail("delete topic: %+v", dt)
	}
	// kadm answers ListTopics from kgo's metadata cache (5 s); drop the topic from it so the
	// listing reflects the broker. A direct Metadata request must also say the topic is unknown.
	cl.PurgeTopicsFromClient(topic)
	if tds, err := adm.ListTopics(ctx); err != nil || tds.Has(topic) {
		res.fail("after delete, list topics still has %s (err %v)", topic, err)
	}
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	if mresp, err := mreq.RequestWith(ctx, cl); err != nil {
		res.fail("metadata after delete: %v", err)
	} else if len(mresp.Topics) != 1 || mresp.Topics[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		res.fail("metadata after delete: %+v, want UNKNOWN_TOPIC_OR_PARTITION", mresp.Topics)
	}
	if dts, err := adm.DeleteTopics(ctx, topic); err != nil || !errors.Is(dts[topic].Err, kerr.UnknownTopicOrPartition) {
		res.fail("delete deleted topic: %+v %v, want UNKNOWN_TOPIC_OR_PARTITION", dts[topic], err)
	}
	res.step("delete_topic")

	// auto-creation: producing to an unknown topic with AllowAutoTopicCreation creates it
	auto := topic + "-auto"
	ac, err := newClient(cfg, kgo.AllowAutoTopicCreation())
	if err != nil {
		return err
	}
	err = ac.ProduceSync(ctx, &kgo.Record{Topic: auto, Value: []byte("hello")}).FirstErr()
	ac.Close()
	if err != nil {
		res.fail("produce with auto-create: %v", err)
	} else if tds, err := adm.ListTopics(ctx, auto); err != nil || !tds.Has(auto) || tds[auto].Err != nil {
		res.fail("auto-created topic not listed: %+v %v", tds[auto], err)
	} else {
		res.Produced++
		res.Extra["auto_created_partitions"] = len(tds[auto].Partitions)
	}
	res.step("auto_create_topic")
	return nil
}

func knownCodec(name string) bool { _, ok := codecs[name]; return ok }

func main() {
	var cfg config
	flag.StringVar(&cfg.bootstrap, "bootstrap", "127.0.0.1:9092", "broker host:port")
	flag.StringVar(&cfg.topic, "topic", "", "topic to create and use (required)")
	flag.StringVar(&cfg.group, "group", "", "consumer group (group mode; default <topic>-group)")
	flag.IntVar(&cfg.count, "count", 20000, "records to produce")
	flag.StringVar(&cfg.codec, "codec", "none", "none, gzip, snappy, lz4 or zstd")
	flag.StringVar(&cfg.mode, "mode", "roundtrip", "roundtrip, group, admin or txn")
	flag.IntVar(&cfg.partitions, "partitions", 6, "partitions of the created topic")
	flag.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "overall deadline")
	flag.BoolVar(&cfg.verbose, "v", false, "client debug logging to stderr")
	flag.StringVar(&cfg.tlsCA, "tls-ca", "", "connect over TLS, trusting this PEM CA file")
	flag.StringVar(&cfg.sasl, "sasl", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	flag.StringVar(&cfg.user, "user", "", "SASL user")
	flag.StringVar(&cfg.password, "password", "", "SASL password")
	flag.Parse()
	if cfg.group == "" {
		cfg.group = cfg.topic + "-group"
	}

	res := &result{Mode: cfg.mode, Codec: cfg.codec, Topic: cfg.topic, Extra: map[string]any{}, Errors: []string{}}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()

	var err error
	switch {
	case cfg.topic == "":
		err = errors.New("-topic is required")
	case !knownCodec(cfg.codec):
		err = fmt.Errorf("unknown codec %q", cfg.codec)
	case cfg.mode == "roundtrip":
		err = runRoundtrip(ctx, cfg, res)
	case cfg.mode == "group":
		err = runGroup(ctx, cfg, res)
	case cfg.mode == "admin":
		err = runAdmin(ctx, cfg, res)
	case cfg.mode == "txn":
		err = runTxn(ctx, cfg, res)
	default:
		err = fmt.Errorf("unknown mode %q", cfg.mode)
	}
	if err != nil {
		res.fail("%v", err)
	}
	res.ElapsedMs = time.Since(start).Milliseconds()
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	if len(res.Errors) > 0 {
		os.Exit(1)
	}
}

// runTxn: see the txn mode in the package comment.
func runTxn(ctx context.Context, cfg config, res *result) error {
	adm0, err := newClient(cfg)
	if err != nil {
		return err
	}
	defer adm0.Close()
	adm := kadm.NewClient(adm0)
	out := cfg.topic + "-out"
	if err := createTopic(ctx, adm, cfg, res); err != nil {
		return err
	}
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, out); err != nil {
		return err
	}
	if _, err := produce(ctx, cfg, res, 0, cfg.count); err != nil {
		return err
	}
	res.step("produced input")

	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(cfg.bootstrap),
		kgo.ClientID("fastlog-franzgo-txn"),
		kgo.TransactionalID(cfg.topic+"-txn"),
		kgo.ConsumerGroup(cfg.group),
		kgo.ConsumeTopics(cfg.topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DefaultProduceTopic(out),
		kgo.RequireStableFetchOffsets(),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, nil)),
	)
	if err != nil {
		return err
	}
	copied, txns := 0, 0
	for copied < cfg.count {
		if ctx.Err() != nil {
			sess.Close()
			return fmt.Errorf("copied %d of %d before the deadline", copied, cfg.count)
		}
		fetches := sess.PollRecords(ctx, 200)
		for _, fe := range fetches.Errors() {
			res.fail("fetch %s/%d: %v", fe.Topic, fe.Partition, fe.Err)
		}
		recs := fetches.Records()
		if len(recs) == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			sess.Close()
			return fmt.Errorf("begin: %w", err)
		}
		for _, r := range recs {
			sess.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value}, func(_ *kgo.Record, err error) {
				if err != nil {
					res.fail("produce: %v", err)
				}
			})
		}
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil {
			sess.Close()
			return fmt.Errorf("end: %w", err)
		}
		if committed {
			copied += len(recs)
			txns++
		}
	}
	sess.Close()
	res.Extra["transactions"] = txns
	res.step("copied in transactions")

	// Read the output back, read_committed, and count every input key.
	cl, err := newClient(cfg, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{out: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return err
	}
	defer cl.Close()
	seen := map[string]int{}
	for res.Consumed < cfg.count && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachRecord(func(r *kgo.Record) {
			seen[string(r.Key)]++
			res.Consumed++
		})
	}
	for seq := 0; seq < cfg.count; seq++ {
		if n := seen["key-"+strconv.Itoa(seq)]; n != 1 {
			res.fail("key-%d copied %d times", seq, n)
		}
	}
	offsets, err := adm.FetchOffsets(ctx, cfg.group)
	if err != nil {
		return err
	}
	total := int64(0)
	offsets.Each(func(o kadm.OffsetResponse) { total += o.At })
	res.Extra["committed_total"] = total
	if total != int64(cfg.count) {
		res.fail("group offsets sum to %d, want %d", total, cfg.count)
	}
	return nil
}
