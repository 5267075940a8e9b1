/*
 * The machine's limit for what a broker does on produce, without any protocol: receive bytes
 * over loopback TCP and append them to a file (page cache, no fsync -- brokers do not fsync
 * per request either). Compiled with gcc by fastlog.bench at bench time.
 *
 *   fastlog_baseline recv OUTFILE          listens on 127.0.0.1:0, prints "port N", accepts one
 *                                          connection, appends everything to OUTFILE, then prints
 *                                          "bytes B seconds S" (first byte to last write)
 *   fastlog_baseline send PORT BYTES       connects to 127.0.0.1:PORT and sends BYTES bytes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_recv(const char *path) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&addr, &len)) {
        perror("listen");
        return 1;
    }
    printf("port %d\n", ntohs(addr.sin_port));
    fflush(stdout);
    int s = accept(ls, NULL, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    if (s < 0 || fd < 0) {
        perror("accept/open");
        return 1;
    }
    char *buf = malloc(CHUNK);
    long long total = 0;
    double start = 0, end = 0;
    for (;;) {
        ssize_t n = read(s, buf, CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { perror("read"); return 1; }
        if (n == 0) break;
        if (total == 0) start = now();
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) { perror("write"); return 1; }
            off += w;
        }
        total += n;
        end = now();
    }
    printf("bytes %lld seconds %.6f\n", total, end - start);
    close(fd);
    close(s);
    return 0;
}

static int do_send(int port, long long bytes) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr)) {
        perror("connect");
        return 1;
    }
    char *buf = malloc(CHUNK);
    for (int i = 0; i < CHUNK; i++) buf[i] = (char)('A' + ((unsigned)i * 7919u) % 26u);  /* unsigned: i * 7919 overflows an int */
    while (bytes > 0) {
        ssize_t n = write(s, buf, bytes < CHUNK ? bytes : CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { perror("send"); return 1; }
        bytes -= n;
    }
    close(s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "recv") == 0) return do_recv(argv[2]);
    if (argc == 4 && strcmp(argv[1], "send") == 0) return do_send(atoi(argv[2]), atoll(argv[3]));
    fprintf(stderr, "usage: %s recv OUTFILE | send PORT BYTES\n", argv[0]);
    return 2;
}
