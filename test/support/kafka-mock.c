/* Kafka test peer: librdkafka's mock cluster (Debian librdkafka-dev).
 * Usage: kafka-mock BROKERS [TOPIC:PARTITIONS ...]
 * Prints the bootstrap servers (127.0.0.1:port,...) on one stdout line, then serves
 * until stdin closes (the parent died or closed the pipe) or SIGTERM/SIGINT.
 * The mock brokers listen on 127.0.0.1 only (librdkafka binds them to INADDR_LOOPBACK). */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  char err[512];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  if (brokers < 1) { fprintf(stderr, "usage: %s BROKERS [TOPIC:PARTITIONS ...]\n", argv[0]); return 2; }
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err); /* keep the "no bootstrap.servers" notice quiet */
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", err); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); rd_kafka_destroy(rk); return 1; }
  for (int i = 2; i < argc; i++) {
    char *sep = strrchr(argv[i], ':');
    int parts = sep ? atoi(sep + 1) : 1;
    if (sep) *sep = '\0';
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, argv[i], parts > 0 ? parts : 1, brokers < 3 ? brokers : 3);
    if (e) { fprintf(stderr, "topic %s: %s\n", argv[i], rd_kafka_err2str(e)); return 1; }
    /* Leaders round-robin over the brokers (ids 1..N): the mock picks each at random, and all
       on one broker (3/729 with 6 partitions over 3) made the spread test flaky. */
    for (int p = 0; p < parts && brokers > 1; p++) {
      e = rd_kafka_mock_partition_set_leader(mc, argv[i], p, 1 + p % brokers);
      if (e) { fprintf(stderr, "topic %s partition %d: %s\n", argv[i], p, rd_kafka_err2str(e)); return 1; }
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char buf[256];
  struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
  while (!stop) { /* the timeout closes the race between a signal and poll() */
    int n = poll(&pfd, 1, 250);
    if (n > 0 && read(STDIN_FILENO, buf, sizeof buf) <= 0) break; /* EOF: parent is gone */
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
