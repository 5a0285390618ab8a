/*===- paso_cuda.c - the CUDA layer of a model.so for a GPU target -------===*\
 *
 * Linked only into models compiled for a target with a CUDA GPU
 * (jetson-*, cuda-sm_XX). The model needs no CUDA at link time: the driver
 * (libcuda.so.1) is opened with dlopen when the first context is made, and
 * a machine without it, or without a GPU, gets PASO_ERROR_NO_GPU with the
 * reason in paso_gpu_error(). Per context: the PTX module (JIT-compiled by
 * the driver for the GPU present), one stream, and the arena in managed
 * memory attached to that stream, so CPU fallback ops read the GPU's
 * results in place once the stream is idle (also on Jetsons before Orin,
 * which cannot touch managed memory while any kernel runs unless it is
 * attached to a stream). docs/cuda.md has the design.
 *
\*===----------------------------------------------------------------------===*/

#include "paso/Runtime/paso_model.h"

void *dlopen(const char *file, int mode);
void *dlsym(void *handle, const char *name);
char *dlerror(void);
/* The oldest versions of the dl functions, so that a .so built on this
 * machine's glibc loads on a JetPack 4 board (glibc 2.27, where they live
 * in libdl.so.2, which the link names too). */
#if defined(__aarch64__)
__asm__(".symver dlopen,dlopen@GLIBC_2.17");
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
__asm__(".symver dlerror,dlerror@GLIBC_2.17");
#elif defined(__x86_64__)
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
#endif
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void free(void *pointer);
int snprintf(char *buffer, size_t size, const char *format, ...);
enum { PASO_RTLD_NOW = 2 };

/* Emitted per model by the CUDA lowering. */
extern const char paso_model_ptx_[];
extern const char *const paso_model_kernel_names_[];
extern const int32_t paso_model_num_kernels_;

/* The driver API, declared as cuda.h does (CUDA 10.2 and newer). */
typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;
enum {
  CUDA_SUCCESS = 0,
  CU_MEM_ATTACH_GLOBAL = 1,
  CU_MEM_ATTACH_SINGLE = 4,
  CU_STREAM_NON_BLOCKING = 1,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6
};

static struct {
  CUresult (*init)(unsigned);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                               void **);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, unsigned, CUstream,
                           void **, void **);
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*memsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamAttachMemAsync)(CUstream, CUdeviceptr, size_t, unsigned);
  CUresult (*getErrorName)(CUresult, const char **);
  CUcontext context;
} driver;

/* 0: not tried, 1: ready, -1: failed (the reason in lastError). */
static int driverState = 0;
static int driverLock = 0;
/* The last failure's text, for paso_gpu_error(); with several threads
 * failing at once, one of their messages. */
static char lastError[1024];

const char *paso_gpu_last_error(void) { return lastError; }

static const char *errorName(CUresult result) {
  const char *name = NULL;
  if (driver.getErrorName && driver.getErrorName(result, &name) == 0 && name)
    return name;
  return "CUDA error";
}

/* Records the first failure's text: where, and the driver's name for it. */
static int failed(CUresult result, const char *call, const char *what) {
  if (result == CUDA_SUCCESS)
    return 0;
  snprintf(lastError, sizeof lastError, "%s%s%s failed: %s (%d)", call,
           what ? " " : "", what ? what : "", errorName(result), result);
  return 1;
}

static int loadDriver(void) {
  void *library = dlopen("libcuda.so.1", PASO_RTLD_NOW);
  if (!library) {
    const char *reason = dlerror();
    snprintf(lastError, sizeof lastError,
             "cannot load the CUDA driver libcuda.so.1 (%s): this model "
             "runs its kernels on an NVIDIA GPU",
             reason ? reason : "not found");
    return -1;
  }
  struct {
    void **slot;
    const char *name;
  } symbols[] = {
      {(void **)&driver.init, "cuInit"},
      {(void **)&driver.deviceGet, "cuDeviceGet"},
      {(void **)&driver.primaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {(void **)&driver.ctxSetCurrent, "cuCtxSetCurrent"},
      {(void **)&driver.moduleLoadDataEx, "cuModuleLoadDataEx"},
      {(void **)&driver.moduleGetFunction, "cuModuleGetFunction"},
      {(void **)&driver.moduleUnload, "cuModuleUnload"},
      {(void **)&driver.launchKernel, "cuLaunchKernel"},
      {(void **)&driver.memAllocManaged, "cuMemAllocManaged"},
      {(void **)&driver.memFree, "cuMemFree_v2"},
      {(void **)&driver.memcpyAsync, "cuMemcpyAsync"},
      {(void **)&driver.memsetD8, "cuMemsetD8_v2"},
      {(void **)&driver.streamCreate, "cuStreamCreate"},
      {(void **)&driver.streamDestroy, "cuStreamDestroy_v2"},
      {(void **)&driver.streamSynchronize, "cuStreamSynchronize"},
      {(void **)&driver.streamAttachMemAsync, "cuStreamAttachMemAsync"},
      {(void **)&driver.getErrorName, "cuGetErrorName"},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i) {
    *symbols[i].slot = dlsym(library, symbols[i].name);
    if (!*symbols[i].slot) {
      snprintf(lastError, sizeof lastError,
               "the CUDA driver lacks %s (a driver older than CUDA 10.2?)",
               symbols[i].name);
      return -1;
    }
  }
  CUdevice device;
  if (failed(driver.init(0), "cuInit", NULL) ||
      failed(driver.deviceGet(&device, 0), "cuDeviceGet", "0") ||
      failed(driver.primaryCtxRetain(&driver.context, device),
             "cuDevicePrimaryCtxRetain", NULL))
    return -1;
  return 1;
}

/* Loads the driver once per process. Contexts may be made on several
 * threads at once: the first does the work while the others wait. */
static int driverReady(void) {
  while (__atomic_exchange_n(&driverLock, 1, __ATOMIC_ACQUIRE))
    ;
  if (driverState == 0)
    driverState = loadDriver();
  int state = driverState;
  __atomic_store_n(&driverLock, 0, __ATOMIC_RELEASE);
  return state == 1;
}

struct paso_gpu {
  CUmodule module;
  CUfunction *functions;
  CUstream stream;
  CUdeviceptr arena;
  int failed;
};

/* The context paso_run is running on this thread, for the generated
 * code's launches. */
static _Thread_local struct paso_gpu *current;

int32_t paso_gpu_kernel_count(void) { return paso_model_num_kernels_; }

void paso_gpu_context_destroy(void *state) {
  struct paso_gpu *gpu = (struct paso_gpu *)state;
  if (!gpu)
    return;
  driver.ctxSetCurrent(driver.context);
  if (gpu->stream)
    driver.streamSynchronize(gpu->stream);
  if (gpu->arena)
    driver.memFree(gpu->arena);
  if (gpu->module)
    driver.moduleUnload(gpu->module);
  if (gpu->stream)
    driver.streamDestroy(gpu->stream);
  free(gpu->functions);
  free(gpu);
}

paso_status paso_gpu_context_create(void **state, void **arena,
                                    size_t arenaSize) {
  *state = NULL;
  *arena = NULL;
  if (!driverReady())
    return PASO_ERROR_NO_GPU;
  struct paso_gpu *gpu = (struct paso_gpu *)calloc(1, sizeof *gpu);
  if (!gpu)
    return PASO_ERROR_OUT_OF_MEMORY;
  gpu->functions = (CUfunction *)calloc(
      (size_t)(paso_model_num_kernels_ > 0 ? paso_model_num_kernels_ : 1),
      sizeof(CUfunction));
  if (!gpu->functions) {
    free(gpu);
    return PASO_ERROR_OUT_OF_MEMORY;
  }
  /* The driver's JIT log names the PTX line it rejects (per call: contexts
   * may be made on several threads at once). */
  char log[4096];
  int options[] = {CU_JIT_ERROR_LOG_BUFFER,
                   CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(size_t)sizeof log};
  log[0] = 0;
  paso_status status = PASO_ERROR_NO_GPU;
  if (failed(driver.ctxSetCurrent(driver.context), "cuCtxSetCurrent", NULL) ||
      failed(driver.streamCreate(&gpu->stream, CU_STREAM_NON_BLOCKING),
             "cuStreamCreate", NULL))
    goto fail;
  if (failed(driver.moduleLoadDataEx(&gpu->module, paso_model_ptx_, 2,
                                     options, values),
             "cuModuleLoadDataEx", log[0] ? log : "(the model's PTX)"))
    goto fail;
  for (int32_t i = 0; i < paso_model_num_kernels_; ++i)
    if (failed(driver.moduleGetFunction(&gpu->functions[i], gpu->module,
                                        paso_model_kernel_names_[i]),
               "cuModuleGetFunction", paso_model_kernel_names_[i]))
      goto fail;
  /* The arena is zeroed: its flag says the weights are not uploaded. */
  size_t size = arenaSize > 0 ? arenaSize : 64;
  if (failed(driver.memAllocManaged(&gpu->arena, size, CU_MEM_ATTACH_GLOBAL),
             "cuMemAllocManaged", "(the arena)")) {
    status = PASO_ERROR_OUT_OF_MEMORY;
    goto fail;
  }
  if (failed(driver.streamAttachMemAsync(gpu->stream, gpu->arena, 0,
                                         CU_MEM_ATTACH_SINGLE),
             "cuStreamAttachMemAsync", NULL) ||
      failed(driver.memsetD8(gpu->arena, 0, size), "cuMemsetD8", NULL) ||
      failed(driver.streamSynchronize(gpu->stream), "cuStreamSynchronize",
             NULL))
    goto fail;
  *state = gpu;
  *arena = (void *)(size_t)gpu->arena;
  return PASO_OK;
fail:
  paso_gpu_context_destroy(gpu);
  return status;
}

void paso_gpu_run_begin(void *state) {
  current = (struct paso_gpu *)state;
  current->failed = 0;
  driver.ctxSetCurrent(driver.context);
}

paso_status paso_gpu_run_end(void *state) {
  struct paso_gpu *gpu = (struct paso_gpu *)state;
  current = NULL;
  return gpu->failed ? PASO_ERROR_GPU : PASO_OK;
}

/* After a failure the rest of the run is skipped; paso_run reports it. */
static int check(CUresult result, const char *call, const char *what) {
  if (failed(result, call, what)) {
    current->failed = 1;
    return 1;
  }
  return 0;
}

enum { PASO_MAX_KERNEL_PARAMS = 1024 };

/* Kernel parameters arrive in 64-bit slots, each read from its start. */
void paso_cuda_launch(int32_t kernel, int64_t gridX, int64_t gridY,
                      int64_t gridZ, int64_t blockX, int64_t blockY,
                      int64_t blockZ, int64_t *slots, int32_t count) {
  if (!current || current->failed)
    return;
  void *params[PASO_MAX_KERNEL_PARAMS];
  if (count > PASO_MAX_KERNEL_PARAMS) {
    snprintf(lastError, sizeof lastError, "kernel %s has %d parameters",
             paso_model_kernel_names_[kernel], count);
    current->failed = 1;
    return;
  }
  for (int32_t i = 0; i < count; ++i)
    params[i] = &slots[i];
  check(driver.launchKernel(current->functions[kernel], (unsigned)gridX,
                            (unsigned)gridY, (unsigned)gridZ,
                            (unsigned)blockX, (unsigned)blockY,
                            (unsigned)blockZ, 0, current->stream, params,
                            NULL),
        "cuLaunchKernel", paso_model_kernel_names_[kernel]);
}

/* Between the caller's buffers and the arena, in stream order. */
void paso_cuda_copy(int64_t destination, int64_t source, int64_t bytes) {
  if (!current || current->failed)
    return;
  check(driver.memcpyAsync((CUdeviceptr)destination, (CUdeviceptr)source,
                           (size_t)bytes, current->stream),
        "cuMemcpyAsync", NULL);
}

/* Before a CPU op reads what the GPU wrote, and at the end of a run. */
void paso_cuda_sync(void) {
  if (!current || current->failed)
    return;
  check(driver.streamSynchronize(current->stream), "cuStreamSynchronize",
        NULL);
}
