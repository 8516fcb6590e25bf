/*
 * The header walk of aclreplay's reader+decoder, written in C for comparison (native-notes.md): read a classic
 * pcap in 1 MiB chunks, frame records, decode Ethernet/802.1Q -> IPv4/IPv6 -> TCP/UDP/ICMP into column arrays
 * of 4096 packets, the same fields and the same checks as src/decode/parser.ts's hot path.
 * Build: cc -O2 -o walk walk.c ; run: ./walk file.pcap [repeat]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 4096
static double ts[BATCH];
static uint32_t wire_len[BATCH], payload_len[BATCH], src[4 * BATCH], dst[4 * BATCH], seq[BATCH], ack[BATCH];
static uint16_t sport[BATCH], dport[BATCH], flags[BATCH], window_[BATCH];
static uint8_t family[BATCH], proto[BATCH], ttl[BATCH], layer[BATCH], frag[BATCH];
static uint64_t checksum;

static inline uint16_t u16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }
static inline uint32_t u32(const uint8_t *b) { return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]; }

static void transport(int i, uint8_t pr, const uint8_t *p, const uint8_t *end, const uint8_t *data_end) {
  long avail = end - p;
  sport[i] = dport[i] = 0;
  flags[i] = 0;
  payload_len[i] = 0;
  if (pr == 6) {
    if (avail < 20) return;
    int hl = (p[12] >> 4) << 2;
    if (hl < 20) return;
    sport[i] = u16(p);
    dport[i] = u16(p + 2);
    flags[i] = (uint16_t)((p[12] & 1) << 8 | p[13]);
    seq[i] = u32(p + 4);
    ack[i] = u32(p + 8);
    window_[i] = u16(p + 14);
    long pl = data_end - p - hl;
    payload_len[i] = pl > 0 ? (uint32_t)pl : 0;
    layer[i] = 3;
  } else if (pr == 17) {
    if (avail < 8) return;
    sport[i] = u16(p);
    dport[i] = u16(p + 2);
    long pl = data_end - p - 8;
    payload_len[i] = pl > 0 ? (uint32_t)pl : 0;
    layer[i] = 3;
  } else if (pr == 1 || pr == 58) {
    if (avail < 8) return;
    sport[i] = dport[i] = u16(p + 4);
    layer[i] = 3;
  }
}

static void decode(int i, const uint8_t *b, uint32_t caplen, uint32_t origlen) {
  const uint8_t *end = b + caplen, *wire_end = b + origlen;
  wire_len[i] = origlen;
  layer[i] = 0;
  family[i] = 0;
  proto[i] = 0;
  frag[i] = 0;
  if (caplen < 14) return;
  uint16_t type = u16(b + 12);
  const uint8_t *p = b + 14;
  for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 8; tags++) {
    if (end - p < 4) return;
    type = u16(p + 2);
    p += 4;
  }
  layer[i] = 1;
  if (type == 0x0800) {
    if (end - p < 20 || (p[0] >> 4) != 4) return;
    int hl = (p[0] & 15) << 2;
    if (hl < 20 || end - p < hl) return;
    long tl = u16(p + 2);
    if (tl == 0 || tl > wire_end - p) tl = wire_end - p;
    family[i] = 4;
    layer[i] = 2;
    ttl[i] = p[8];
    proto[i] = p[9];
    src[4 * i] = u32(p + 12);
    dst[4 * i] = u32(p + 16);
    uint16_t ff = u16(p + 6);
    if (ff & 0x3fff) {
      frag[i] = (ff & 0x1fff) ? 2 : 1;
      if (ff & 0x1fff) return;
    }
    const uint8_t *de = p + tl;
    transport(i, p[9], p + hl, end < de ? end : de, de);
  } else if (type == 0x86dd) {
    if (end - p < 40) return;
    family[i] = 6;
    layer[i] = 2;
    ttl[i] = p[7];
    for (int w = 0; w < 4; w++) {
      src[4 * i + w] = u32(p + 8 + 4 * w);
      dst[4 * i + w] = u32(p + 24 + 4 * w);
    }
    long pl = u16(p + 4);
    if (pl == 0 || pl > wire_end - p - 40) pl = wire_end - p - 40;
    const uint8_t *de = p + 40 + pl;
    proto[i] = p[6];
    transport(i, p[6], p + 40, end < de ? end : de, de);
  }
}

static void consume(int n) {
  for (int i = 0; i < n; i++) checksum += sport[i] + dport[i] + proto[i] + family[i] + payload_len[i];
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: walk file.pcap [repeat]\n");
    return 2;
  }
  int repeat = argc > 2 ? atoi(argv[2]) : 1;
  double best = 1e9;
  uint64_t packets = 0;
  for (int r = 0; r < repeat; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 66;
    size_t cap = 1 << 20, len = 0, pos = 0;
    uint8_t *buf = malloc(cap);
    uint8_t hdr[24];
    if (fread(hdr, 1, 24, f) != 24) return 65;
    packets = 0;
    int n = 0;
    for (;;) {
      if (len - pos < 16 || len - pos < 16 + (size_t)(buf[pos + 8] | buf[pos + 9] << 8 | buf[pos + 10] << 16 | (uint32_t)buf[pos + 11] << 24)) {
        memmove(buf, buf + pos, len - pos);
        len -= pos;
        pos = 0;
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
        continue;
      }
      const uint8_t *h = buf + pos;
      uint32_t sec = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
      uint32_t usec = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
      uint32_t caplen = h[8] | h[9] << 8 | h[10] << 16 | (uint32_t)h[11] << 24;
      uint32_t origlen = h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24;
      ts[n] = sec + usec * 1e-6;
      decode(n, h + 16, caplen, origlen);
      pos += 16 + caplen;
      packets++;
      if (++n == BATCH) {
        consume(n);
        n = 0;
      }
    }
    consume(n);
    fclose(f);
    free(buf);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (s < best) best = s;
  }
  printf("{\"packets\":%llu,\"seconds\":%.6f,\"checksum\":%llu}\n", (unsigned long long)packets, best, (unsigned long long)checksum);
  return 0;
}
