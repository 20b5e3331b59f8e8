/*
 * Round trip through libamortized.so, driven by RoundTripTests: loads a model, writes its info JSON, samples
 * and evaluates log densities for inputs the test wrote, checks that concurrent sampling from several threads
 * equals sequential sampling, and records what the error paths return.
 *
 * usage: roundtrip MODEL OBS.bin NUM_DATASETS NUM_SAMPLES SEED PARAMS.bin OUT_DIR CORRUPT_MODEL MISSING_MODEL
 *   OBS.bin, PARAMS.bin   raw little-endian float32: NUM_DATASETS x observation_size, NUM_DATASETS x D
 *   OUT_DIR               receives info.json, draws.bin, logprob.bin and errors.tsv
 *                         (one line per bad call: case, code, status name, message)
 * Exit status: 0 when every call behaved, otherwise the number of the failed step.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amortized.h"

#define THREADS 4
#define CALLS_PER_THREAD 3

static char out_dir[4096];

static FILE* open_out(const char* name, const char* mode)
{
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    FILE* f = fopen(path, mode);
    if (!f) { perror(path); exit(2); }
    return f;
}

static float* read_floats(const char* path, size_t expected)
{
    FILE* f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    float* data = malloc(expected * sizeof(float) + 1);
    size_t got = fread(data, sizeof(float), expected, f);
    fclose(f);
    if (got != expected) { fprintf(stderr, "%s: %zu floats, expected %zu\n", path, got, expected); exit(2); }
    return data;
}

static void write_floats(const char* name, const float* data, size_t count)
{
    FILE* f = open_out(name, "wb");
    fwrite(data, sizeof(float), count, f);
    fclose(f);
}

static void check(int status, const char* what, int step)
{
    if (status == AMZ_OK) return;
    char message[1024];
    amortized_last_error(message, sizeof message);
    fprintf(stderr, "%s failed: %s (%d): %s\n", what, amortized_status_name(status), status, message);
    exit(step);
}

/* Records the status and message of one call that is meant to fail. */
static void record(FILE* errors, const char* name, int status)
{
    char message[1024];
    amortized_last_error(message, sizeof message);
    fprintf(errors, "%s\t%d\t%s\t%s\n", name, status, amortized_status_name(status), message);
}

struct job {
    amortized_model* model;
    const float* obs;
    size_t obs_count;
    int64_t datasets, samples;
    uint64_t seed;
    float* draws;
    size_t capacity;
    int status;
};

static void* run_job(void* arg)
{
    struct job* j = arg;
    for (int c = 0; c < CALLS_PER_THREAD; c++) {
        int status = amortized_sample(j[c].model, j[c].obs, j[c].obs_count, j[c].datasets, j[c].samples,
                                      j[c].seed, j[c].draws, j[c].capacity);
        j[c].status = status;
    }
    return NULL;
}

int main(int argc, char** argv)
{
    if (argc != 10) {
        fprintf(stderr, "usage: %s MODEL OBS.bin NUM_DATASETS NUM_SAMPLES SEED PARAMS.bin OUT_DIR CORRUPT MISSING\n", argv[0]);
        return 2;
    }
    const char* model_path = argv[1];
    int64_t datasets = strtoll(argv[3], NULL, 10), samples = strtoll(argv[4], NULL, 10);
    uint64_t seed = strtoull(argv[5], NULL, 10);
    snprintf(out_dir, sizeof out_dir, "%s", argv[7]);
    printf("libamortized %s (ABI %d)\n", amortized_version(), AMZ_ABI_VERSION);

    amortized_model* model = NULL;
    check(amortized_load(model_path, &model), "amortized_load", 10);

    /* Info JSON: ask for the size, then fetch. */
    size_t required = 0;
    if (amortized_info_json(model, NULL, 0, &required) != AMZ_ERR_BUFFER_TOO_SMALL || required == 0) return 11;
    char* info = malloc(required);
    check(amortized_info_json(model, info, required, &required), "amortized_info_json", 12);
    FILE* f = open_out("info.json", "w");
    fputs(info, f);
    fclose(f);

    int64_t obs_size = 0, dim = 0;
    check(amortized_observation_size(model, &obs_size), "amortized_observation_size", 13);
    check(amortized_parameter_dim(model, &dim), "amortized_parameter_dim", 14);
    printf("observation_size %" PRId64 ", parameter_dim %" PRId64 "\n", obs_size, dim);

    size_t obs_count = (size_t)(datasets * obs_size), draw_count = (size_t)(datasets * samples * dim);
    float* obs = read_floats(argv[2], obs_count);
    float* params = read_floats(argv[6], (size_t)(datasets * dim));

    float* draws = malloc(draw_count * sizeof(float));
    check(amortized_sample(model, obs, obs_count, datasets, samples, seed, draws, draw_count), "amortized_sample", 15);
    write_floats("draws.bin", draws, draw_count);

    float* logq = malloc((size_t)datasets * sizeof(float));
    check(amortized_log_prob(model, obs, obs_count, params, (size_t)(datasets * dim), datasets, logq, (size_t)datasets),
          "amortized_log_prob", 16);
    write_floats("logprob.bin", logq, (size_t)datasets);

    /* Concurrency: THREADS threads share the model; every draw must equal the sequential call's. */
    struct job jobs[THREADS][CALLS_PER_THREAD];
    for (int t = 0; t < THREADS; t++)
        for (int c = 0; c < CALLS_PER_THREAD; c++)
            jobs[t][c] = (struct job){ model, obs, obs_count, datasets, samples, seed + 1 + (uint64_t)(t * CALLS_PER_THREAD + c),
                                       malloc(draw_count * sizeof(float)), draw_count, -100 };
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&threads[t], NULL, run_job, jobs[t]) != 0) return 17;
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    float* expected = malloc(draw_count * sizeof(float));
    for (int t = 0; t < THREADS; t++)
        for (int c = 0; c < CALLS_PER_THREAD; c++) {
            check(jobs[t][c].status, "amortized_sample (thread)", 18);
            check(amortized_sample(model, obs, obs_count, datasets, samples, jobs[t][c].seed, expected, draw_count),
                  "amortized_sample (sequential)", 19);
            if (memcmp(expected, jobs[t][c].draws, draw_count * sizeof(float)) != 0) {
                fprintf(stderr, "thread %d call %d: draws differ from the sequential call\n", t, c);
                return 20;
            }
            free(jobs[t][c].draws);
        }
    printf("threads: %d x %d concurrent calls equal the sequential ones\n", THREADS, CALLS_PER_THREAD);

    /* Error paths: each must return its code and leave a message. */
    FILE* errors = open_out("errors.tsv", "w");
    amortized_model* bad = (amortized_model*)1;
    record(errors, "load_missing", amortized_load(argv[9], &bad));
    if (bad != NULL) return 21;
    record(errors, "load_corrupt", amortized_load(argv[8], &bad));
    record(errors, "load_null_path", amortized_load(NULL, &bad));
    record(errors, "load_null_out", amortized_load(model_path, NULL));
    record(errors, "load_bad_shapes_json", amortized_load_with_shapes(model_path, "{\"x\": [3", &bad));
    char small[8];
    record(errors, "info_small_buffer", amortized_info_json(model, small, sizeof small, &required));
    record(errors, "sample_null_model", amortized_sample(NULL, obs, obs_count, datasets, samples, seed, draws, draw_count));
    record(errors, "sample_wrong_count", amortized_sample(model, obs, obs_count - 1, datasets, samples, seed, draws, draw_count));
    record(errors, "sample_small_out", amortized_sample(model, obs, obs_count, datasets, samples, seed, draws, draw_count - 1));
    record(errors, "sample_zero_datasets", amortized_sample(model, obs, 0, 0, samples, seed, draws, draw_count));
    record(errors, "sample_null_obs", amortized_sample(model, NULL, obs_count, datasets, samples, seed, draws, draw_count));
    record(errors, "log_prob_wrong_params", amortized_log_prob(model, obs, obs_count, params, 1, datasets, logq, (size_t)datasets));
    record(errors, "dim_null_out", amortized_parameter_dim(model, NULL));
    /* A truncated message: the code says so and the text is a NUL-terminated prefix. */
    char tiny[6];
    int truncated = amortized_last_error(tiny, sizeof tiny);
    fprintf(errors, "last_error_truncated\t%d\t%s\t%s\n", truncated, amortized_status_name(truncated), tiny);
    record(errors, "free_null", amortized_free(NULL));
    /* A stale handle: freed, its slot reused by the next load; a second free must not release the new model. */
    amortized_model* first = NULL;
    amortized_model* second = NULL;
    check(amortized_load(model_path, &first), "amortized_load (first)", 23);
    check(amortized_free(first), "amortized_free (first)", 24);
    check(amortized_load(model_path, &second), "amortized_load (second)", 25);
    record(errors, "free_stale", amortized_free(first));
    int64_t second_dim = 0;
    check(amortized_parameter_dim(second, &second_dim), "amortized_parameter_dim (second)", 26);
    check(amortized_free(second), "amortized_free (second)", 27);
    record(errors, "load_shapes_too_large", amortized_load_with_shapes(model_path, "{\"x\": [400000000], \"y\": []}", &bad));
    const uint8_t key[16] = "0123456789abcde";
    record(errors, "load_signed_unsigned", amortized_load_signed(model_path, NULL, key, sizeof key, &bad));
    fclose(errors);

    check(amortized_free(model), "amortized_free", 22);
    free(info);
    free(obs);
    free(params);
    free(draws);
    free(logq);
    free(expected);
    printf("ok\n");
    return 0;
}
