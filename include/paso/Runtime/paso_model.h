/*===- paso_model.h - C ABI of a model compiled by PASO ---------*- C -*-===*\
 *
 * Every model.so built by paso-opt exports exactly these functions. The ABI
 * is stable within a PASO_ABI_VERSION; see docs/c-abi.md. Besides the
 * thread count, a model has no global mutable state: each context owns the
 * scratch memory ("arena") of one inference, so threads with separate
 * contexts may run the same model at once.
 *
\*===----------------------------------------------------------------------===*/

#ifndef PASO_RUNTIME_PASO_MODEL_H
#define PASO_RUNTIME_PASO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: paso_tensor_info gained scale and zero_point (quantised tensors).
 * 3: every function is also exported as <tag>_<name> (the model's tag,
 *    paso-opt --model-tag), and model.h maps the short names to those, so
 *    that several models link into one program; static archives export
 *    only the tagged names. */
/* 5: paso_uses_gpu and paso_gpu_error; the GPU statuses (CUDA targets). */
#define PASO_ABI_VERSION 5

typedef enum paso_status {
  PASO_OK = 0,
  PASO_ERROR_NULL_ARGUMENT = 1, /* a required pointer was NULL */
  PASO_ERROR_BAD_SIZE = 2,      /* a buffer size differs from byte_size */
  PASO_ERROR_OUT_OF_MEMORY = 3, /* the context's arena could not be made */
  /* The model runs kernels on a CUDA GPU and none can be used here (no
   * driver, no device, the PTX rejected): paso_gpu_error() says why. */
  PASO_ERROR_NO_GPU = 4,
  /* A CUDA driver call failed during the run (paso_gpu_error()). */
  PASO_ERROR_GPU = 5
} paso_status;

/* Element types, numbered as ONNX's TensorProto.DataType. */
typedef enum paso_dtype {
  PASO_FLOAT32 = 1,
  PASO_UINT8 = 2,
  PASO_INT8 = 3,
  PASO_UINT16 = 4,
  PASO_INT16 = 5,
  PASO_INT32 = 6,
  PASO_INT64 = 7,
  PASO_BOOL = 9, /* one byte per element, 0 or 1 */
  PASO_FLOAT16 = 10,
  PASO_FLOAT64 = 11,
  PASO_UINT32 = 12,
  PASO_UINT64 = 13,
  PASO_BFLOAT16 = 16
} paso_dtype;

/* Describes one model input or output. Buffers are dense, row-major. */
typedef struct paso_tensor_info {
  const char *name;     /* the ONNX value name */
  paso_dtype dtype;
  int32_t rank;
  const int64_t *shape; /* rank entries, all static */
  size_t byte_size;     /* bytes of a dense buffer of this tensor */
  /* An int8/uint8 tensor the model reads or writes as quantised values,
   * real = scale x (q - zero_point); scale is 0 for any other tensor. */
  float scale;
  int32_t zero_point;
} paso_tensor_info;

typedef struct paso_context paso_context;

/* PASO_ABI_VERSION of the model. */
uint32_t paso_abi_version(void);
/* The ONNX graph name and the target the model was compiled for. */
const char *paso_model_name(void);
const char *paso_target_name(void);

int32_t paso_num_inputs(void);
int32_t paso_num_outputs(void);
/* NULL when index is out of range. */
const paso_tensor_info *paso_input_info(int32_t index);
const paso_tensor_info *paso_output_info(int32_t index);

/* Bytes of scratch memory each context allocates (known at compile time). */
size_t paso_arena_size(void);

/* Creates a context; *context is NULL on failure. */
paso_status paso_context_create(paso_context **context);
/* Destroys a context; NULL is ignored. */
void paso_context_destroy(paso_context *context);

/* Runs one inference. inputs[i] holds input_sizes[i] bytes for input i and
 * outputs[i] receives output_sizes[i] bytes for output i; every size must
 * equal the tensor's byte_size. Output buffers must not overlap inputs. */
paso_status paso_run(paso_context *context, const void *const *inputs,
                     const size_t *input_sizes, void *const *outputs,
                     const size_t *output_sizes);

/* Threads a run may use (default: $PASO_NUM_THREADS, else the online
 * cores; at most 64). Setting applies to every context of this model;
 * set it before running, not while another thread runs. 0 restores the
 * default. */
void paso_set_num_threads(int32_t threads);
int32_t paso_get_num_threads(void);

/* 1 when the model runs kernels on a CUDA GPU (targets jetson-*,
 * cuda-sm_XX; docs/cuda.md), so paso_context_create needs the NVIDIA
 * driver and a GPU; 0 for CPU-only models. */
int32_t paso_uses_gpu(void);
/* The last CUDA failure of this process as text ("" when none): which
 * call, the driver's error name, the JIT log. */
const char *paso_gpu_error(void);

/* A static English description of a status. */
const char *paso_status_string(paso_status status);

/* Profiling (ABI 4; docs/profiling.md). The model's JSON kernel table:
 * each runtime kernel's id, class, algorithm, ONNX nodes, FLOPs, bytes and
 * predicted time. */
const char *paso_kernel_table(void);

enum {
  PASO_PROFILE_TIME = 1,     /* per-kernel calls and wall time */
  PASO_PROFILE_COUNTERS = 2, /* + perf_event_open counters, calling thread */
  PASO_PROFILE_TRACE = 4,    /* + one event per kernel call per thread */
  PASO_PROFILE_MAX_COUNTERS = 12,
  PASO_PROFILE_MAX_KERNELS = 4096
};

/* Turns profiling on (flags above) or off (0) for this model, resetting
 * what was measured; returns the flags in effect. Off costs one branch
 * per kernel call. Counters are opened on the calling thread (the thread
 * that runs the model). */
int32_t paso_profile_enable(int32_t flags);

/* Counter i (i < the returned count) is names[i]; errors[i] is 0 when it
 * is measured, else the errno perf_event_open gave (the VM or
 * perf_event_paranoid forbids it): never a zero passed off as measured. */
int32_t paso_profile_counters(const char **names, int32_t *errors,
                              int32_t max);

/* Totals since enabling for kernel id `kernel` (1-based, as in the kernel
 * table; 0 is the whole of paso_run): values[0] calls, values[1]
 * nanoseconds, values[2 + i] counter i. Returns how many values it
 * wrote. */
int32_t paso_profile_read(int32_t kernel, uint64_t *values, int32_t max);

typedef struct paso_trace_event {
  int32_t kernel; /* kernel id; 0: a whole paso_run */
  int32_t thread; /* 0: the calling thread, 1...: pool workers */
  uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
} paso_trace_event;

/* Moves up to `max` recorded trace events into `events` (oldest first)
 * and returns how many; recording stops when its buffer (65536 events)
 * is full. */
int32_t paso_profile_trace(paso_trace_event *events, int32_t max);

/* Declares a model's own names for every function above, <tag>_paso_run
 * and so on (ABI 3): each model.h uses it for its tag, so that several
 * models link into one program (docs/c-abi.md). */
#define PASO_MODEL_API(tag)                                                   \
  uint32_t tag##_paso_abi_version(void);                                      \
  const char *tag##_paso_model_name(void);                                    \
  const char *tag##_paso_target_name(void);                                   \
  int32_t tag##_paso_num_inputs(void);                                        \
  int32_t tag##_paso_num_outputs(void);                                       \
  const paso_tensor_info *tag##_paso_input_info(int32_t index);               \
  const paso_tensor_info *tag##_paso_output_info(int32_t index);              \
  size_t tag##_paso_arena_size(void);                                         \
  paso_status tag##_paso_context_create(paso_context **context);              \
  void tag##_paso_context_destroy(paso_context *context);                     \
  paso_status tag##_paso_run(paso_context *context, const void *const *inputs, \
                             const size_t *input_sizes, void *const *outputs, \
                             const size_t *output_sizes);                     \
  void tag##_paso_set_num_threads(int32_t threads);                           \
  int32_t tag##_paso_get_num_threads(void);                                   \
  const char *tag##_paso_status_string(paso_status status);                    \
  int32_t tag##_paso_uses_gpu(void);                                          \
  const char *tag##_paso_gpu_error(void);                                     \
  const char *tag##_paso_kernel_table(void);                                  \
  int32_t tag##_paso_profile_enable(int32_t flags);                           \
  int32_t tag##_paso_profile_counters(const char **names, int32_t *errors,    \
                                      int32_t max);                           \
  int32_t tag##_paso_profile_read(int32_t kernel, uint64_t *values,           \
                                  int32_t max);                               \
  int32_t tag##_paso_profile_trace(paso_trace_event *events, int32_t max);

#ifdef __cplusplus
}
#endif

#endif /* PASO_RUNTIME_PASO_MODEL_H */
