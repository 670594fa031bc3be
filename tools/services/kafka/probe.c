/*
 * Probe for the test Kafka broker, built against the SYSTEM librdkafka
 * (Debian 12: 2.0.2), the same library pipec links:
 *
 *     cc -O1 -o probe probe.c -lrdkafka
 *
 *   probe ready    BOOTSTRAP           one metadata request; exit 0 when the
 *                                      broker answers and lists >= 1 broker
 *   probe selftest BOOTSTRAP [TOPIC]   create a 3-partition topic, produce 100
 *                                      keyed messages, consume them back with
 *                                      a consumer group (join/sync/commit),
 *                                      check watermarks and that all arrived,
 *                                      delete the topic
 *
 * tools/services/kafka.sh uses `ready` for its readiness poll. `selftest` is
 * the check that librdkafka 2.0.2 and the chosen broker version agree on
 * protocol versions (Kafka 4 removed old ones, KIP-896).
 */
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_MSGS 100
#define N_PARTS 3

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("probe: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        die("config %s=%s: %s", k, v, err);
}

static rd_kafka_conf_t *base_conf(const char *bootstrap) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    /* Silence connection-refused chatter while polling for readiness. */
    set(conf, "log_level", "3");
    return conf;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) die("rd_kafka_new: %s", err);
    return rk;
}

static int ready(const char *bootstrap) {
    rd_kafka_conf_t *conf = base_conf(bootstrap);
    set(conf, "log_level", "0"); /* "connection refused" is expected here */
    rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 3000);
    int ok = e == RD_KAFKA_RESP_ERR_NO_ERROR && md && md->broker_cnt > 0;
    if (ok)
        printf("ready: %d broker(s), controller id %" PRId32 ", librdkafka %s\n",
               md->broker_cnt, md->orig_broker_id, rd_kafka_version_str());
    else
        fprintf(stderr, "probe: metadata: %s\n", rd_kafka_err2str(e));
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return ok ? 0 : 1;
}

/* Runs one admin call and waits for its result event. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t want) {
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (!ev) die("admin request timed out");
    if (rd_kafka_event_type(ev) != want)
        die("unexpected admin event %s: %s", rd_kafka_event_name(ev),
            rd_kafka_event_error_string(ev));
    if (rd_kafka_event_error(ev))
        die("admin %s: %s", rd_kafka_event_name(ev), rd_kafka_event_error_string(ev));
    return ev;
}

static void create_topic(rd_kafka_t *rk, const char *topic) {
    char err[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, N_PARTS, 1, err, sizeof err);
    if (!nt) die("NewTopic: %s", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
    size_t n;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; i++)
        if (rd_kafka_topic_result_error(res[i]))
            die("create topic %s: %s", rd_kafka_topic_result_name(res[i]),
                rd_kafka_topic_result_error_string(res[i]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
}

static void delete_topic(rd_kafka_t *rk, const char *topic) {
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    rd_kafka_event_destroy(admin_wait(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT));
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
}

static int delivered_ok, delivered_err;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) {
        delivered_err++;
        fprintf(stderr, "probe: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered_ok++;
    }
}

static int selftest(const char *bootstrap, const char *topic) {
    /* Producer (also used for the admin calls). */
    rd_kafka_conf_t *pc = base_conf(bootstrap);
    set(pc, "acks", "all");
    set(pc, "enable.idempotence", "true");
    set(pc, "linger.ms", "5");
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_t *p = new_client(RD_KAFKA_PRODUCER, pc);

    create_topic(p, topic);
    printf("selftest: created topic %s with %d partitions\n", topic, N_PARTS);

    for (int i = 0; i < N_MSGS; i++) {
        char key[32], val[64];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "{\"i\":%d}", i);
        rd_kafka_resp_err_t e;
        do {
            e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                                  RD_KAFKA_V_KEY(key, strlen(key)),
                                  RD_KAFKA_V_VALUE(val, strlen(val)),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            /* Right after creation the topic's metadata may still propagate. */
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(p, 100);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (e) die("produce: %s", rd_kafka_err2str(e));
        rd_kafka_poll(p, 0);
    }
    if (rd_kafka_flush(p, 30000)) die("flush timed out");
    if (delivered_ok != N_MSGS || delivered_err)
        die("delivered %d ok, %d failed (want %d)", delivered_ok, delivered_err, N_MSGS);
    printf("selftest: produced %d messages (idempotent, acks=all)\n", delivered_ok);

    /* ListOffsets (Kafka 4 removed v0): high watermarks must add up. */
    int64_t total = 0;
    for (int part = 0; part < N_PARTS; part++) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t we = rd_kafka_query_watermark_offsets(p, topic, part, &lo, &hi, 10000);
        if (we) die("watermarks of partition %d: %s", part, rd_kafka_err2str(we));
        total += hi - lo;
    }
    if (total != N_MSGS) die("watermarks add up to %" PRId64 ", want %d", total, N_MSGS);
    printf("selftest: watermarks add up to %" PRId64 "\n", total);

    /* Consumer group: JoinGroup/SyncGroup/OffsetFetch/Fetch/OffsetCommit. */
    char group[128];
    snprintf(group, sizeof group, "%s-group", topic);
    rd_kafka_conf_t *cc = base_conf(bootstrap);
    set(cc, "group.id", group);
    set(cc, "auto.offset.reset", "earliest");
    set(cc, "enable.auto.commit", "false");
    rd_kafka_t *c = new_client(RD_KAFKA_CONSUMER, cc);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c, sub);
    if (e) die("subscribe: %s", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(sub);

    static char seen[N_MSGS];
    int got = 0, parts_seen = 0, per_part[N_PARTS] = {0};
    time_t deadline = time(NULL) + 60;
    while (got < N_MSGS && time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 500);
        if (!m) continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                die("consume: %s", rd_kafka_message_errstr(m));
        } else {
            int i = -1;
            if (sscanf((const char *)m->payload, "{\"i\":%d}", &i) != 1 || i < 0 || i >= N_MSGS)
                die("bad payload %.*s", (int)m->len, (const char *)m->payload);
            if (!seen[i]) { seen[i] = 1; got++; }
            if (m->partition >= 0 && m->partition < N_PARTS && per_part[m->partition]++ == 0)
                parts_seen++;
        }
        rd_kafka_message_destroy(m);
    }
    if (got != N_MSGS) die("consumed %d distinct messages of %d within 60 s", got, N_MSGS);
    e = rd_kafka_commit(c, NULL, 0);
    if (e) die("commit: %s", rd_kafka_err2str(e));
    printf("selftest: consumed %d messages from %d partitions (%d/%d/%d), committed\n", got,
           parts_seen, per_part[0], per_part[1], per_part[2]);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);

    delete_topic(p, topic);
    printf("selftest: deleted topic %s; OK with librdkafka %s\n", topic, rd_kafka_version_str());
    rd_kafka_destroy(p);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "ready") == 0) return ready(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "selftest") == 0) {
        char topic[64];
        if (argc >= 4) {
            snprintf(topic, sizeof topic, "%s", argv[3]);
        } else {
            srand((unsigned)time(NULL) ^ (unsigned)clock());
            snprintf(topic, sizeof topic, "pipec-probe-%08x", (unsigned)rand());
        }
        return selftest(argv[2], topic);
    }
    fprintf(stderr, "usage: %s ready|selftest BOOTSTRAP [TOPIC]\n", argv[0]);
    return 2;
}
