/*===- paso_runtime.c - the model-independent part of a model.so --------===*\
 *
 * Compiled to LLVM bitcode for every supported triple when PASO is built,
 * embedded in paso-opt, and linked into each model before code generation.
 * The model-specific symbols it uses (tensor tables, arena size, the
 * generated entry point) are emitted by lib/Target/CPU/ModelAbi.cpp.
 *
\*===----------------------------------------------------------------------===*/

#include "paso/Runtime/paso_model.h"

/* Built freestanding so that one source compiles for every target without a
 * cross sysroot; these are the only libc functions a model uses. */
void *malloc(size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void free(void *pointer);
void *memcpy(void *destination, const void *source, size_t size);
void *memset(void *destination, int value, size_t size);
void abort(void);
char *getenv(const char *name);
long strtol(const char *text, char **end, int base);
long sysconf(int name);
enum { PASO_SC_NPROCESSORS_ONLN = 84 /* glibc's _SC_NPROCESSORS_ONLN */ };

/* Emitted per model. */
extern const paso_tensor_info paso_model_inputs_[];
extern const paso_tensor_info paso_model_outputs_[];
extern const int32_t paso_model_num_inputs_;
extern const int32_t paso_model_num_outputs_;
extern const uint64_t paso_model_arena_size_;
extern const char paso_model_name_[];
extern const char paso_model_target_[];
extern const char paso_model_kernel_table_[];
uint64_t paso_profile_start(int64_t kernel);
void paso_profile_stop(int64_t kernel, uint64_t start);
/* buffers: the inputs, then the outputs. */
extern void paso_model_invoke_(void *const *buffers, void *arena);
void paso_pool_rest(void);

/* The CUDA layer (paso_cuda.c), linked into models for a GPU target
 * only: elsewhere these weak references are null. */
#define PASO_GPU_HOOK __attribute__((weak, visibility("hidden")))
PASO_GPU_HOOK int32_t paso_gpu_kernel_count(void);
PASO_GPU_HOOK paso_status paso_gpu_context_create(void **gpu, void **arena,
                                                  size_t arenaSize);
PASO_GPU_HOOK void paso_gpu_context_destroy(void *gpu);
PASO_GPU_HOOK void paso_gpu_run_begin(void *gpu);
PASO_GPU_HOOK paso_status paso_gpu_run_end(void *gpu);
PASO_GPU_HOOK const char *paso_gpu_last_error(void);

struct paso_context {
  void *arena;
  void *gpu; /* the CUDA layer's state; NULL for CPU models */
};

int32_t paso_uses_gpu(void) {
  return paso_gpu_kernel_count && paso_gpu_kernel_count() > 0;
}

const char *paso_gpu_error(void) {
  return paso_gpu_last_error ? paso_gpu_last_error() : "";
}

/* The caller plus paso_threads.c's at most 63 workers. */
enum { PASO_MAX_THREADS = 64 };

/* Most models have a handful of inputs and outputs; larger ones fall back to
 * the heap for the pointer table. */
enum { PASO_STACK_BUFFERS = 32 };

uint32_t paso_abi_version(void) { return PASO_ABI_VERSION; }
const char *paso_model_name(void) { return paso_model_name_; }
const char *paso_target_name(void) { return paso_model_target_; }
const char *paso_kernel_table(void) { return paso_model_kernel_table_; }
int32_t paso_num_inputs(void) { return paso_model_num_inputs_; }
int32_t paso_num_outputs(void) { return paso_model_num_outputs_; }
size_t paso_arena_size(void) { return (size_t)paso_model_arena_size_; }

const paso_tensor_info *paso_input_info(int32_t index) {
  if (index < 0 || index >= paso_model_num_inputs_)
    return NULL;
  return &paso_model_inputs_[index];
}

const paso_tensor_info *paso_output_info(int32_t index) {
  if (index < 0 || index >= paso_model_num_outputs_)
    return NULL;
  return &paso_model_outputs_[index];
}

paso_status paso_context_create(paso_context **context) {
  if (!context)
    return PASO_ERROR_NULL_ARGUMENT;
  *context = NULL;
  paso_context *made = (paso_context *)malloc(sizeof(paso_context));
  if (!made)
    return PASO_ERROR_OUT_OF_MEMORY;
  made->arena = NULL;
  made->gpu = NULL;
  if (paso_uses_gpu()) {
    /* The arena is managed memory, shared by the GPU's kernels and the
     * CPU's fallback ops. */
    paso_status status = paso_gpu_context_create(
        &made->gpu, &made->arena, (size_t)paso_model_arena_size_);
    if (status != PASO_OK) {
      free(made);
      return status;
    }
  } else if (paso_model_arena_size_ > 0) {
    /* 64-byte alignment matches the offsets the arena plan uses. */
    size_t size = ((size_t)paso_model_arena_size_ + 63) & ~(size_t)63;
    made->arena = aligned_alloc(64, size);
    if (!made->arena) {
      free(made);
      return PASO_ERROR_OUT_OF_MEMORY;
    }
    /* Zeroed, as the GPU layer's is: a persistent buffer's flag (the CUDA
     * path's weights, also when emulated on the host) starts unset. */
    memset(made->arena, 0, size);
  }
  *context = made;
  return PASO_OK;
}

void paso_context_destroy(paso_context *context) {
  if (!context)
    return;
  if (context->gpu)
    paso_gpu_context_destroy(context->gpu);
  else
    free(context->arena);
  free(context);
}

paso_status paso_run(paso_context *context, const void *const *inputs,
                     const size_t *input_sizes, void *const *outputs,
                     const size_t *output_sizes) {
  int32_t numInputs = paso_model_num_inputs_;
  int32_t numOutputs = paso_model_num_outputs_;
  if (!context || (numInputs > 0 && (!inputs || !input_sizes)) ||
      (numOutputs > 0 && (!outputs || !output_sizes)))
    return PASO_ERROR_NULL_ARGUMENT;
  for (int32_t i = 0; i < numInputs; ++i) {
    if (!inputs[i])
      return PASO_ERROR_NULL_ARGUMENT;
    if (input_sizes[i] != paso_model_inputs_[i].byte_size)
      return PASO_ERROR_BAD_SIZE;
  }
  for (int32_t i = 0; i < numOutputs; ++i) {
    if (!outputs[i])
      return PASO_ERROR_NULL_ARGUMENT;
    if (output_sizes[i] != paso_model_outputs_[i].byte_size)
      return PASO_ERROR_BAD_SIZE;
  }
  void *stackBuffers[PASO_STACK_BUFFERS];
  int32_t count = numInputs + numOutputs;
  void **buffers = stackBuffers;
  if (count > PASO_STACK_BUFFERS) {
    buffers = (void **)malloc(sizeof(void *) * (size_t)count);
    if (!buffers)
      return PASO_ERROR_OUT_OF_MEMORY;
  }
  for (int32_t i = 0; i < numInputs; ++i)
    buffers[i] = (void *)inputs[i];
  for (int32_t i = 0; i < numOutputs; ++i)
    buffers[numInputs + i] = outputs[i];
  /* Profiled as kernel 0: the run time the kernels' times are part of. */
  uint64_t start = paso_profile_start(0);
  paso_status status = PASO_OK;
  if (context->gpu) {
    paso_gpu_run_begin(context->gpu);
    paso_model_invoke_(buffers, context->arena);
    status = paso_gpu_run_end(context->gpu);
  } else {
    paso_model_invoke_(buffers, context->arena);
  }
  paso_profile_stop(0, start);
  paso_pool_rest();
  if (buffers != stackBuffers)
    free(buffers);
  return status;
}

/* Set by paso_set_num_threads; 0 means the default. */
static int32_t configuredThreads = 0;
/* The default, computed once: PASO_NUM_THREADS, else the online cores. A
 * benign race: every thread computes the same value. */
static int32_t defaultThreads = 0;

int32_t paso_get_num_threads(void) {
  if (configuredThreads > 0)
    return configuredThreads;
  if (defaultThreads > 0)
    return defaultThreads;
  const char *env = getenv("PASO_NUM_THREADS");
  long n = env ? strtol(env, NULL, 10) : 0;
  if (n < 1)
    n = sysconf(PASO_SC_NPROCESSORS_ONLN);
  if (n < 1)
    n = 1;
  if (n > PASO_MAX_THREADS)
    n = PASO_MAX_THREADS;
  defaultThreads = (int32_t)n;
  return defaultThreads;
}

void paso_set_num_threads(int32_t threads) {
  configuredThreads =
      threads < 1 ? 0 : threads > PASO_MAX_THREADS ? PASO_MAX_THREADS : threads;
}

const char *paso_status_string(paso_status status) {
  switch (status) {
  case PASO_OK:
    return "ok";
  case PASO_ERROR_NULL_ARGUMENT:
    return "a required pointer argument is NULL";
  case PASO_ERROR_BAD_SIZE:
    return "a buffer size differs from the tensor's byte_size";
  case PASO_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case PASO_ERROR_NO_GPU:
    return "the model runs on a CUDA GPU and none can be used here "
           "(paso_gpu_error() says why)";
  case PASO_ERROR_GPU:
    return "a CUDA call failed during the run (paso_gpu_error() says which)";
  }
  return "unknown status";
}

/* Strided memref copies (padding writes an input into the interior of a
 * larger buffer; a returned view of another buffer) lower to this MLIR
 * runtime entry point. Rows whose innermost stride is 1 in both buffers are
 * copied with one memcpy each, the common case. */
typedef struct {
  int64_t rank;
  void *descriptor;
} paso_unranked_memref;

void memrefCopy(int64_t elementSize, paso_unranked_memref *src,
                paso_unranked_memref *dst) {
  int64_t rank = src->rank;
  /* Descriptor: allocated, aligned, offset, sizes[rank], strides[rank]. */
  char **srcPtrs = (char **)src->descriptor;
  char **dstPtrs = (char **)dst->descriptor;
  int64_t *srcMeta = (int64_t *)(srcPtrs + 2);
  int64_t *dstMeta = (int64_t *)(dstPtrs + 2);
  char *srcBase = srcPtrs[1] + srcMeta[0] * elementSize;
  char *dstBase = dstPtrs[1] + dstMeta[0] * elementSize;
  if (rank == 0) {
    memcpy(dstBase, srcBase, (size_t)elementSize);
    return;
  }
  const int64_t *sizes = srcMeta + 1;
  const int64_t *srcStrides = srcMeta + 1 + rank;
  const int64_t *dstStrides = dstMeta + 1 + rank;
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d)
    total *= sizes[d];
  if (total == 0)
    return;
  if (rank > 16)
    abort();
  int64_t inner = sizes[rank - 1];
  int contiguous = srcStrides[rank - 1] == 1 && dstStrides[rank - 1] == 1;
  int64_t rows = total / inner;
  int64_t index[16] = {0};
  for (int64_t r = 0; r < rows; ++r) {
    int64_t srcOffset = 0, dstOffset = 0;
    for (int64_t d = 0; d < rank - 1; ++d) {
      srcOffset += index[d] * srcStrides[d];
      dstOffset += index[d] * dstStrides[d];
    }
    char *from = srcBase + srcOffset * elementSize;
    char *to = dstBase + dstOffset * elementSize;
    if (contiguous) {
      memcpy(to, from, (size_t)(inner * elementSize));
    } else {
      for (int64_t i = 0; i < inner; ++i)
        memcpy(to + i * dstStrides[rank - 1] * elementSize,
               from + i * srcStrides[rank - 1] * elementSize,
               (size_t)elementSize);
    }
    for (int64_t d = rank - 2; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}
