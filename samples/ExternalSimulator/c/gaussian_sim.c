/* The conjugate Gaussian model of ../gaussian_sim.py, as a C worker of the Amortized simulator protocol (version 1,
 * docs/simulator-protocol.md): theta ~ N(0, I_2), x_j = theta + 0.5 * noise_j for j = 1..10.
 *
 * Build: cc -O2 -o gaussian_sim gaussian_sim.c -lm
 * Run:   amortized fit --simulator ./gaussian_sim --inference-variables theta --summary-variables x ...
 *
 * Each answer is an .npz archive written by hand: a stored (uncompressed) zip of two .npy files, theta (B, 2) and
 * x (B, 10, 2), float32 little-endian. Batch (seed, batch_index) draws from its own xoshiro256** stream seeded by
 * splitmix64 from both numbers, so its content does not depend on which worker simulated it. Its draws differ from
 * the Python sample's (another generator), not its distribution. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_OBS 10
#define DIM 2
#define SIGMA 0.5

/* ---- random numbers: splitmix64 seeds xoshiro256** ---- */
static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
typedef struct { uint64_t s[4]; int has_spare; double spare; } rng_t;
static void rng_seed(rng_t *r, uint64_t seed, uint64_t batch_index) {
    uint64_t sm = seed;
    uint64_t mixed = splitmix64(&sm) ^ batch_index;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&mixed);
    r->has_spare = 0;
}
static uint64_t next_u64(rng_t *r) {
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}
static double uniform(rng_t *r) { return ((next_u64(r) >> 11) + 0.5) * 0x1.0p-53; } /* in (0, 1) */
static double normal(rng_t *r) { /* Box-Muller, both values used */
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    double u = uniform(r), v = uniform(r), m = sqrt(-2.0 * log(u));
    r->spare = m * sin(2 * M_PI * v); r->has_spare = 1;
    return m * cos(2 * M_PI * v);
}

/* ---- a growable byte buffer ---- */
typedef struct { unsigned char *p; size_t n, cap; } buf_t;
static void put(buf_t *b, const void *data, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) { fprintf(stderr, "gaussian_sim: out of memory\n"); exit(1); }
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}
static void put16(buf_t *b, uint16_t v) { unsigned char c[2] = {v & 255, v >> 8}; put(b, c, 2); }
static void put32(buf_t *b, uint32_t v) { put16(b, v & 0xFFFF); put16(b, v >> 16); }

/* ---- .npy and a stored zip (.npz) ---- */
static uint32_t crc32(const unsigned char *p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 255] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* An .npy v1.0 file of float32 data with the given shape; the header is padded to a multiple of 64 bytes. */
static void npy(buf_t *out, const float *data, const int *shape, int ndim) {
    char dict[256], shp[96] = "";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        char d[24];
        snprintf(d, sizeof d, i ? ", %d" : "%d", shape[i]);
        strcat(shp, d);
        count *= (size_t)shape[i];
    }
    if (ndim == 1) strcat(shp, ","); /* (B,) */
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shp);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    put(out, "\x93NUMPY\x01\x00", 8);
    put16(out, (uint16_t)(len + pad + 1));
    put(out, dict, (size_t)len);
    for (int i = 0; i < pad; i++) put(out, " ", 1);
    put(out, "\n", 1);
    put(out, data, count * sizeof(float)); /* little-endian hosts only, like every target of this sample */
}

typedef struct { const char *name; buf_t body; uint32_t crc, offset; } entry_t;

static void zip(buf_t *out, entry_t *e, int n) {
    for (int i = 0; i < n; i++) { /* local file headers and data */
        e[i].crc = crc32(e[i].body.p, e[i].body.n);
        e[i].offset = (uint32_t)out->n;
        uint16_t name_len = (uint16_t)strlen(e[i].name);
        put32(out, 0x04034b50); put16(out, 20); put16(out, 0); put16(out, 0); /* version, flags, stored */
        put16(out, 0); put16(out, 0x21);                                       /* time, date (1980-01-01) */
        put32(out, e[i].crc); put32(out, (uint32_t)e[i].body.n); put32(out, (uint32_t)e[i].body.n);
        put16(out, name_len); put16(out, 0);
        put(out, e[i].name, name_len);
        put(out, e[i].body.p, e[i].body.n);
    }
    uint32_t directory = (uint32_t)out->n;
    for (int i = 0; i < n; i++) { /* central directory */
        uint16_t name_len = (uint16_t)strlen(e[i].name);
        put32(out, 0x02014b50); put16(out, 20); put16(out, 20); put16(out, 0); put16(out, 0);
        put16(out, 0); put16(out, 0x21);
        put32(out, e[i].crc); put32(out, (uint32_t)e[i].body.n); put32(out, (uint32_t)e[i].body.n);
        put16(out, name_len); put16(out, 0); put16(out, 0); put16(out, 0); put16(out, 0);
        put32(out, 0); put32(out, e[i].offset);
        put(out, e[i].name, name_len);
    }
    uint32_t size = (uint32_t)out->n - directory;
    put32(out, 0x06054b50); put16(out, 0); put16(out, 0); put16(out, (uint16_t)n); put16(out, (uint16_t)n);
    put32(out, size); put32(out, directory); put16(out, 0);
}

/* ---- protocol ---- */
static void frame(const char *magic, const void *data, uint64_t n) {
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
    fwrite(magic, 1, 4, stdout);
    fwrite(len, 1, 8, stdout);
    fwrite(data, 1, n, stdout);
    fflush(stdout);
}
static void error_frame(const char *message) { frame("AMZE", message, strlen(message)); }

/* The unsigned integer after "key": in a one-line JSON request; returns 0 if absent. */
static int field(const char *line, const char *key, unsigned long long *value) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(line, pattern);
    if (!p) return 0;
    char *end;
    *value = strtoull(p + strlen(pattern), &end, 10);
    return end != p + strlen(pattern);
}

int main(void) {
    char hello[128], line[4096];
    snprintf(hello, sizeof hello, "{\"protocol\": 1, \"pid\": %d, \"language\": \"c\"}", (int)getpid());
    frame("AMZH", hello, strlen(hello));
    while (fgets(line, sizeof line, stdin)) {
        unsigned long long protocol, batch_size, seed, index;
        if (!field(line, "protocol", &protocol) || !field(line, "batch_size", &batch_size)
            || !field(line, "seed", &seed) || !field(line, "batch_index", &index)) {
            error_frame("gaussian_sim.c: the request lacks protocol, batch_size, seed or batch_index");
            continue;
        }
        if (protocol != 1 || batch_size == 0 || batch_size > 10000000) {
            error_frame("gaussian_sim.c: protocol must be 1 and batch_size in 1..10^7");
            continue;
        }
        int b = (int)batch_size;
        float *theta = malloc(sizeof(float) * b * DIM), *x = malloc(sizeof(float) * b * N_OBS * DIM);
        rng_t rng;
        rng_seed(&rng, seed, index);
        for (int r = 0; r < b; r++) {
            for (int d = 0; d < DIM; d++) theta[r * DIM + d] = (float)normal(&rng);
            for (int j = 0; j < N_OBS; j++)
                for (int d = 0; d < DIM; d++)
                    x[(r * N_OBS + j) * DIM + d] = (float)(theta[r * DIM + d] + SIGMA * normal(&rng));
        }
        entry_t entries[2] = {{"theta.npy", {0}, 0, 0}, {"x.npy", {0}, 0, 0}};
        int theta_shape[2] = {b, DIM}, x_shape[3] = {b, N_OBS, DIM};
        npy(&entries[0].body, theta, theta_shape, 2);
        npy(&entries[1].body, x, x_shape, 3);
        buf_t archive = {0};
        zip(&archive, entries, 2);
        frame("AMZR", archive.p, archive.n);
        free(archive.p); free(entries[0].body.p); free(entries[1].body.p); free(theta); free(x);
    }
    return 0;
}
