// Kafka's Java KafkaShareConsumer against fastlog (tests/integration/test_share_groups.py).
// Usage: ShareConsumers BOOTSTRAP TOPIC GROUP MODE ARGS...
// Every record a consumer gets is printed as "rec CONSUMER OFFSET VALUE DELIVERY_COUNT ACTION",
// then "done". Modes:
//   share N TOTAL        N consumers; each holds its first records (unacknowledged, so locked)
//                        until all N have some, then all accept until TOTAL are accepted
//   release TOTAL        release each record at its first delivery, accept it at the next
//   locktimeout TOTAL    consumer 0 takes records and never acknowledges them; consumer 1
//                        accepts TOTAL (the held ones come back once their locks time out)
//   poison LIMIT         release "poison" at each delivery, accept others; after LIMIT
//                        deliveries of it, produce "end" and accept until "end" arrives
//   reject TOTAL         reject "bad", accept the others until TOTAL are handled
//   some K               accept K records, release whatever else was acquired, close
//   drain TOTAL          accept until TOTAL are accepted
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class ShareConsumers {
    static String bootstrap, topic, group;
    static final long DEADLINE = System.currentTimeMillis() + 150_000;

    static KafkaShareConsumer<String, String> consumer(int maxPollRecords) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", group);
        p.put("share.acknowledgement.mode", "explicit");
        p.put("max.poll.records", Integer.toString(maxPollRecords));
        KafkaShareConsumer<String, String> c =
            new KafkaShareConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    static synchronized void print(int who, ConsumerRecord<String, String> r, String action) {
        System.out.println("rec " + who + " " + r.offset() + " " + r.value() + " "
            + r.deliveryCount().orElse((short) -1) + " " + action);
        System.out.flush();
    }

    static void checkTime() {
        if (System.currentTimeMillis() > DEADLINE) {
            System.out.println("timeout");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    static void earliest() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            ConfigResource res = new ConfigResource(ConfigResource.Type.GROUP, group);
            admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
                new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
        }
    }

    public static void main(String[] args) throws Exception {
        bootstrap = args[0];
        topic = args[1];
        group = args[2];
        String mode = args[3];
        earliest();
        switch (mode) {
            case "share": share(Integer.parseInt(args[4]), Integer.parseInt(args[5])); break;
            case "release": release(Integer.parseInt(args[4])); break;
            case "locktimeout": lockTimeout(Integer.parseInt(args[4])); break;
            case "poison": poison(Integer.parseInt(args[4])); break;
            case "reject": reject(Integer.parseInt(args[4])); break;
            case "some": some(Integer.parseInt(args[4])); break;
            case "drain": drain(Integer.parseInt(args[4])); break;
            default: throw new IllegalArgumentException(mode);
        }
        System.out.println("done");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    static void share(int n, int total) throws Exception {
        CountDownLatch allHold = new CountDownLatch(n);
        AtomicInteger accepted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int who = i;
            futures.add(pool.submit(() -> {
                try (KafkaShareConsumer<String, String> c = consumer(5)) {
                    boolean holding = false;
                    while (accepted.get() < total) {
                        checkTime();
                        ConsumerRecords<String, String> recs = c.poll(Duration.ofMillis(200));
                        for (ConsumerRecord<String, String> r : recs) print(who, r, "accept");
                        if (!recs.isEmpty() && !holding) {
                            holding = true;
                            allHold.countDown();
                            // Keep these records locked until every consumer holds some.
                            if (!allHold.await(100, TimeUnit.SECONDS)) throw new IllegalStateException("no share");
                        }
                        for (ConsumerRecord<String, String> r : recs) c.acknowledge(r, AcknowledgeType.ACCEPT);
                        if (!recs.isEmpty()) {
                            c.commitSync();
                            accepted.addAndGet(recs.count());
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) f.get();
    }

    static void release(int total) {
        try (KafkaShareConsumer<String, String> c = consumer(500)) {
            int accepted = 0;
            while (accepted < total) {
                checkTime();
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    boolean first = r.deliveryCount().orElse((short) 0) == 1;
                    print(0, r, first ? "release" : "accept");
                    c.acknowledge(r, first ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT);
                    if (!first) accepted++;
                }
                c.commitSync();
            }
        }
    }

    static void lockTimeout(int total) {
        KafkaShareConsumer<String, String> holder = consumer(500);
        ConsumerRecords<String, String> held = ConsumerRecords.empty();
        while (held.isEmpty()) {
            checkTime();
            held = holder.poll(Duration.ofMillis(200));
        }
        for (ConsumerRecord<String, String> r : held) print(0, r, "hold");
        // `holder` neither acknowledges nor polls again: its locks must time out.
        try (KafkaShareConsumer<String, String> c = consumer(500)) {
            int accepted = 0;
            while (accepted < total) {
                checkTime();
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    print(1, r, "accept");
                    c.acknowledge(r, AcknowledgeType.ACCEPT);
                    accepted++;
                }
                c.commitSync();
            }
        }
    }

    static void poison(int limit) throws Exception {
        int poisonSeen = 0;
        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        try (KafkaShareConsumer<String, String> c = consumer(500);
             KafkaProducer<String, String> producer =
                 new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            boolean end = false;
            while (!end) {
                checkTime();
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    boolean bad = r.value().equals("poison");
                    print(0, r, bad ? "release" : "accept");
                    c.acknowledge(r, bad ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT);
                    if (r.value().equals("end")) end = true;
                    if (bad && ++poisonSeen == limit) {
                        c.commitSync();
                        producer.send(new ProducerRecord<>(topic, 0, null, "end")).get();
                    }
                }
                c.commitSync();
            }
        }
    }

    static void reject(int total) {
        try (KafkaShareConsumer<String, String> c = consumer(500)) {
            int handled = 0;
            while (handled < total) {
                checkTime();
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    boolean bad = r.value().equals("bad");
                    print(0, r, bad ? "reject" : "accept");
                    c.acknowledge(r, bad ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT);
                    handled++;
                }
                c.commitSync();
            }
        }
    }

    static void some(int k) {
        try (KafkaShareConsumer<String, String> c = consumer(500)) {
            int accepted = 0;
            while (accepted < k) {
                checkTime();
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    boolean take = accepted < k;
                    print(0, r, take ? "accept" : "release");
                    c.acknowledge(r, take ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
                    if (take) accepted++;
                }
                c.commitSync();
            }
        }
    }

    static void drain(int total) {
        try (KafkaShareConsumer<String, String> c = consumer(500)) {
            int accepted = 0;
            while (accepted < total) {
                checkTime();
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    print(0, r, "accept");
                    c.acknowledge(r, AcknowledgeType.ACCEPT);
                    accepted++;
                }
                c.commitSync();
            }
        }
    }
}
