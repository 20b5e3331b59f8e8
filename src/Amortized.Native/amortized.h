/*
 * amortized.h: C interface to trained Amortized models (libamortized.so, built with .NET Native AOT).
 *
 * Build:   dotnet publish src/Amortized.Native -c Release -r linux-x64 -o out
 * Link:    gcc app.c -Iout -Lout -lamortized -Wl,-rpath,"$PWD/out"   (the header is published beside the library)
 *
 * A model file is what ApproximatorFile.Save / BasicWorkflow.Save writes (a ContinuousApproximator: adapter,
 * spec and weights). The library loads it, then draws posterior samples and evaluates log q(theta | x).
 *
 * ---- Status codes ----
 * Every function except amortized_version and amortized_status_name returns an int: AMZ_OK (0) on success or
 * one of the negative AMZ_ERR_* codes. On failure a message is kept for the calling thread and read with
 * amortized_last_error; a successful call clears it. No exception or signal crosses the boundary: every
 * failure the library can detect comes back as a code. What it cannot detect is the caller's contract:
 * pointers must point to at least as many elements as the counts passed with them.
 *
 * ---- Handles ----
 * A model handle is an opaque value (not a pointer to dereference) holding a slot and that slot's generation.
 * A handle that was freed, freed twice, or never returned by amortized_load* is refused with
 * AMZ_ERR_INVALID_HANDLE, also after its slot was reused by a newer model, which is left untouched.
 *
 * ---- Untrusted files and limits ----
 * Every size a file or a call declares is checked, without overflow, before anything is allocated for it:
 * a model's spec against the library's bounds (ModelFileLimits: widths up to 4096, 64 layers, ...) and
 * against the parameters the file stores (AMZ_ERR_FORMAT, naming the field, its value and the bound); an
 * observation layout against 2^20 floats per data set (AMZ_ERR_INVALID_ARGUMENT for the argument,
 * AMZ_ERR_FORMAT for a file), which the environment variable AMORTIZED_MAX_OBSERVATION_FLOATS (1 to
 * 2147483591) changes. The checksum of a model file only detects accidents: whoever edits a file can
 * recompute it. To trust a model from elsewhere, save it with a key (ModelFileKey in C#) and load it with
 * amortized_load_signed, which checks its HMAC-SHA-256.
 *
 * ---- Data layout ----
 * OBSERVATIONS. A model reads one or more named raw arrays per data set (the keys the simulator produced and
 * the adapter consumes, e.g. "x" of shape (10,) and "n" of shape ()). The C side passes them flat:
 *     observations[i * observation_size + offset_k + j]
 * is element j (C order) of key k of data set i, where the keys come in the fixed order listed under
 * "observations" in amortized_info_json, each with its "shape", "offset" and "size" (offsets are running
 * sums of sizes; observation_size is their total). Keys and shapes are taken from, in this order of priority:
 *   1. the observation_shapes_json argument of amortized_load_with_shapes,
 *   2. the model file's metadata entry "observation_shapes" (ObservationShapes.MetadataKey in C#),
 *   3. the adapter, traced backwards from the network inputs (keys in order of first mention in the adapter).
 * The third works whenever the adapter fixes every shape (direct conditions such as a concatenated vector).
 * A summary network over sets or time series does not fix the number of elements N, so such a model needs 1
 * or 2; loading it otherwise fails with AMZ_ERR_FORMAT and a message that says so. The JSON form is an object
 * from key to per-data-set shape, in the flat order: {"x": [100], "observed": [100], "n": []}.
 * A model without conditions (unconditional) has observation_size 0 and samples one data set at a time.
 *
 * PARAMETERS. Draws come back in the original parameter space (after the adapter's inverse), as the
 * concatenation of the parameter keys listed under "parameters" in the info JSON (the order of the keys of
 * ContinuousApproximator.Sample's result), each flattened in C order; "parameter_names" names each of the
 * parameter_dim = D columns ("theta[0]", "sigma", ...):
 *     out_draws[(i * num_samples + s) * D + d]      data set i, draw s, column d
 * amortized_log_prob reads parameters in the same column order, one row of D per data set.
 *
 * ---- Determinism ----
 * A call with the same model, inputs and seed gives the same draws on the same machine, whatever the thread
 * and whatever other calls run concurrently. The library is compiled for x86-64-v3 (AVX2 + FMA); on such a
 * machine its draws equal the managed API's ContinuousApproximator.Sample(data, num_samples, seed) bit for bit
 * when the managed runtime also takes the AVX2 kernels (it takes AVX-512 ones where the CPU has them, which
 * sum in another order, so the last bits can differ there).
 *
 * ---- Threads ----
 * All functions may be called from any thread. One model may be used by several threads at once: calls on
 * the same model are serialised by a lock held by the model, because the managed approximator switches its
 * networks out of training mode for the duration of each call (state shared by all callers); the forward pass
 * already spreads over all cores through the kernels' worker pool. So concurrent calls are safe and give the
 * same results as sequential ones, but do not run in parallel; for that, load the file once per thread.
 * Do not free a model while another thread is using it.
 */
#ifndef AMORTIZED_H
#define AMORTIZED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this C interface; bumped when a signature or the data layout changes. */
#define AMZ_ABI_VERSION 1

/** Status codes returned by the functions below. */
enum amortized_status {
    AMZ_OK = 0,
    /** A required pointer argument is NULL. */
    AMZ_ERR_NULL_ARGUMENT = -1,
    /** An argument is out of range (num_datasets <= 0, num_samples <= 0, a malformed shapes JSON, ...). */
    AMZ_ERR_INVALID_ARGUMENT = -2,
    /** An input array's element count does not match what the model and num_datasets require. */
    AMZ_ERR_SHAPE = -3,
    /** An output buffer (text or floats) is too small; *required, where given, says how large it must be. */
    AMZ_ERR_BUFFER_TOO_SMALL = -4,
    /** The file could not be opened or read (missing, a directory, no permission). */
    AMZ_ERR_IO = -5,
    /** The file is not a valid model file (corrupted, truncated, another kind) or the model is unsupported. */
    AMZ_ERR_FORMAT = -6,
    /** The handle is NULL, was freed, or does not refer to a loaded model. */
    AMZ_ERR_INVALID_HANDLE = -7,
    /** Memory ran out. */
    AMZ_ERR_OUT_OF_MEMORY = -8,
    /** Anything else (a bug): the message names the managed exception. */
    AMZ_ERR_INTERNAL = -9
};

/** A loaded model. Opaque; create with amortized_load*, release with amortized_free. */
typedef struct amortized_model amortized_model;

/** The library version as a static NUL-terminated UTF-8 string (never freed, never NULL). */
const char* amortized_version(void);

/** The constant name of a status code ("AMZ_ERR_SHAPE"), or "AMZ_UNKNOWN" (static, never NULL). */
const char* amortized_status_name(int status);

/**
 * Copies the calling thread's last error message (UTF-8, NUL-terminated) into buffer. The message describes
 * the most recent failed call on this thread; it is empty after a successful call. This function does not
 * change it. Returns AMZ_OK (also for buffer NULL with capacity 0), AMZ_ERR_BUFFER_TOO_SMALL when the
 * message was cut to fit (at a UTF-8 character boundary, still NUL-terminated), or AMZ_ERR_NULL_ARGUMENT when
 * buffer is NULL and capacity is not 0.
 */
int amortized_last_error(char* buffer, size_t capacity);

/**
 * Loads a model file (path is UTF-8). On success *out_model receives the handle; on failure it receives NULL.
 * Errors: AMZ_ERR_NULL_ARGUMENT, AMZ_ERR_INVALID_ARGUMENT (empty path), AMZ_ERR_IO (missing or unreadable
 * file), AMZ_ERR_FORMAT (corrupted or not a model file; observation shapes not fixed by the model).
 */
int amortized_load(const char* path, amortized_model** out_model);

/**
 * Like amortized_load, with the observation keys and per-data-set shapes given explicitly as a JSON object
 * ({"x": [100], "n": []}; see "Data layout"), taking precedence over the file's metadata and the adapter.
 * observation_shapes_json may be NULL (then this is amortized_load). A malformed JSON is
 * AMZ_ERR_INVALID_ARGUMENT; shapes the model cannot consume, or holding more floats per data set than the
 * limit (see "Untrusted files and limits"), are AMZ_ERR_INVALID_ARGUMENT too.
 */
int amortized_load_with_shapes(const char* path, const char* observation_shapes_json, amortized_model** out_model);

/**
 * Like amortized_load_with_shapes (observation_shapes_json may be NULL), for a model file signed with a key:
 * the file must carry an HMAC-SHA-256 of its contents under key (key_len bytes, 16 to 4096), as written by
 * ApproximatorFile.Save(path, approximator, metadata, new ModelFileKey(key)). An unsigned file, one signed
 * with another key or one changed after signing is AMZ_ERR_FORMAT; key NULL is AMZ_ERR_NULL_ARGUMENT and a
 * key_len out of range AMZ_ERR_INVALID_ARGUMENT (checked before the key is read).
 */
int amortized_load_signed(const char* path, const char* observation_shapes_json, const uint8_t* key, size_t key_len,
                          amortized_model** out_model);

/**
 * Releases a model. NULL is allowed and does nothing (AMZ_OK). A handle already freed (or never returned by
 * amortized_load*) is AMZ_ERR_INVALID_HANDLE and frees nothing.
 */
int amortized_free(amortized_model* model);

/**
 * Writes a JSON description of the model (UTF-8, NUL-terminated) into buffer:
 *   abi_version, library_version,
 *   observations: [{key, shape, offset, size}], observation_size, observation_shapes_source
 *     ("argument", "metadata" or "adapter"),
 *   parameters: [{key, shape, offset, size, names}], parameter_dim, parameter_names,
 *   spec (network kinds, sizes and options, as in the model file), metadata (the file's string metadata).
 * *required (when required is not NULL) receives the size in bytes including the NUL, also on
 * AMZ_ERR_BUFFER_TOO_SMALL, so a call with (NULL, 0, &required) asks for the size.
 */
int amortized_info_json(amortized_model* model, char* buffer, size_t capacity, size_t* required);

/** *out_dim = D, the number of floats per draw (the total size of the parameter keys). */
int amortized_parameter_dim(amortized_model* model, int64_t* out_dim);

/** *out_size = the number of floats per data set in the observations array (0 for an unconditional model). */
int amortized_observation_size(amortized_model* model, int64_t* out_size);

/**
 * Draws num_samples posterior samples for each of num_datasets data sets.
 *   observations        num_datasets x observation_size floats (see "Data layout"); may be NULL if that is 0
 *   observations_count  the number of floats in observations: must equal num_datasets * observation_size
 *   seed                the same seed as ContinuousApproximator.Sample(data, num_samples, seed)
 *   out_draws           receives num_datasets x num_samples x D floats
 *   out_capacity        the number of floats out_draws can hold (at least num_datasets * num_samples * D)
 * Errors: AMZ_ERR_INVALID_HANDLE, AMZ_ERR_NULL_ARGUMENT, AMZ_ERR_INVALID_ARGUMENT (num_datasets or num_samples
 * not positive, a result too large for one call, or num_datasets > 1 for an unconditional model),
 * AMZ_ERR_SHAPE (observations_count wrong), AMZ_ERR_BUFFER_TOO_SMALL (out_capacity too small).
 * Nothing is written to out_draws on failure. Non-finite observations give non-finite draws, not an error.
 */
int amortized_sample(amortized_model* model, const float* observations, size_t observations_count,
                     int64_t num_datasets, int64_t num_samples, uint64_t seed,
                     float* out_draws, size_t out_capacity);

/**
 * log q(theta_i | x_i) for each of num_datasets pairs, in the original parameter space (including the
 * log-Jacobians of the adapter's transforms and of the standardisation), as ContinuousApproximator.LogProb.
 *   observations   num_datasets x observation_size floats, observations_count of them (exactly)
 *   parameters     num_datasets x D floats in the column order of the draws, parameters_count of them (exactly)
 *   out            receives num_datasets floats; out_capacity is how many it can hold
 * Errors as for amortized_sample. A parameter outside the support of a constrained key gives -inf or NaN.
 */
int amortized_log_prob(amortized_model* model, const float* observations, size_t observations_count,
                       const float* parameters, size_t parameters_count, int64_t num_datasets,
                       float* out, size_t out_capacity);

#ifdef __cplusplus
}
#endif

#endif /* AMORTIZED_H */
