/*===- paso_profile.c - per-kernel time, counters and trace --------------===*\
 *
 * The measuring half of profiling (docs/profiling.md). Every runtime
 * kernel call brackets its work with paso_profile_start/stop, keyed by the
 * kernel id the compiler gave it (the id of the model's kernel table);
 * paso_run brackets the whole run as kernel 0. Off, that costs one
 * predictable branch. On (paso_profile_enable, or PASO_PROFILE=1 in the
 * environment, which prints totals to stderr at exit), it adds:
 *
 *   - calls and wall time (CLOCK_MONOTONIC) per kernel;
 *   - hardware and software counters read through perf_event_open around
 *     each call, on the calling thread (the pool's workers are not
 *     counted: a profile for calibration runs one thread). A counter the
 *     kernel or VM refuses keeps the errno it gave, so a reader can say
 *     "unavailable" instead of writing a zero as if measured;
 *   - trace events (one per kernel call, plus one per worker per job from
 *     paso_threads.c) for a Chrome/Perfetto trace.
 *
 * One model runs at a time per process while profiling (the counters and
 * the current kernel are global): what paso-run --profile does.
 *
\*===----------------------------------------------------------------------===*/

#include "paso/Runtime/paso_model.h"

#include <stdatomic.h>
#include <stdint.h>

char *getenv(const char *name);
int dprintf(int fd, const char *format, ...);
long syscall(long number, ...);
long read(int fd, void *buffer, unsigned long size);
int close(int fd);
int *__errno_location(void);

/* glibc's struct timespec on every target PASO supports (64-bit). */
struct paso_timespec {
  long seconds, nanoseconds;
};
int clock_gettime(int clock, struct paso_timespec *time);
enum {
  PASO_CLOCK_MONOTONIC = 1,
  TRACE_CAPACITY = 1 << 16,
  SLOTS = PASO_PROFILE_MAX_KERNELS + 1 /* slot 0: whole runs */
};

#if defined(__x86_64__)
enum { SYS_PERF_EVENT_OPEN = 298 };
#elif defined(__aarch64__)
enum { SYS_PERF_EVENT_OPEN = 241 };
#else
#error "perf_event_open's syscall number for this architecture"
#endif

/* The first 64 bytes of struct perf_event_attr (PERF_ATTR_SIZE_VER0),
 * all this needs; the kernel accepts the short size. */
typedef struct {
  uint32_t type, size;
  uint64_t config, samplePeriod, sampleType, readFormat;
  uint64_t flags; /* bit 0 disabled, 5 exclude_kernel, 6 exclude_hv */
  uint32_t wakeupEvents, breakpointType;
  uint64_t config1;
} PerfAttr;

typedef struct {
  const char *name;
  uint32_t type;
  uint64_t config;
} CounterSpec;

/* The events a `perf stat` case study reads, then software fallbacks. */
static const CounterSpec counterSpecs[] = {
    {"cycles", 0, 0},           {"instructions", 0, 1},
    {"cache-references", 0, 2}, {"cache-misses", 0, 3},
    {"branch-misses", 0, 5},    {"task-clock", 1, 1},
    {"page-faults", 1, 2},      {"context-switches", 1, 3},
    {"cpu-migrations", 1, 4}};
enum { NUM_COUNTERS = sizeof(counterSpecs) / sizeof(counterSpecs[0]) };
_Static_assert(NUM_COUNTERS <= PASO_PROFILE_MAX_COUNTERS, "counter slots");

static atomic_int enabled = -1; /* -1: environment not read yet */
static int fromEnvironment;
static int counterFds[NUM_COUNTERS];
static int32_t counterErrors[NUM_COUNTERS];
static atomic_ullong calls[SLOTS], nanoseconds[SLOTS];
static atomic_ullong counterTotals[SLOTS][NUM_COUNTERS];
static uint64_t counterStart[SLOTS][NUM_COUNTERS];
static paso_trace_event trace[TRACE_CAPACITY];
static atomic_int traceCount;
static atomic_int currentKernel;

static uint64_t now(void) {
  struct paso_timespec time;
  clock_gettime(PASO_CLOCK_MONOTONIC, &time);
  return (uint64_t)time.seconds * 1000000000u + (uint64_t)time.nanoseconds;
}

static int flags(void) {
  int state = atomic_load_explicit(&enabled, memory_order_relaxed);
  if (state < 0) {
    const char *value = getenv("PASO_PROFILE");
    state = value && value[0] && !(value[0] == '0' && !value[1])
                ? PASO_PROFILE_TIME
                : 0;
    fromEnvironment = state != 0;
    int expected = -1;
    if (!atomic_compare_exchange_strong(&enabled, &expected, state))
      state = expected;
  }
  return state;
}

static void closeCounters(void) {
  for (int i = 0; i < NUM_COUNTERS; ++i)
    if (counterFds[i] > 0) {
      close(counterFds[i]);
      counterFds[i] = -1;
    }
}

static int openCounter(const CounterSpec *spec, uint64_t excludeKernel) {
  PerfAttr attr = {0};
  attr.type = spec->type;
  attr.size = sizeof(attr);
  attr.config = spec->config;
  attr.flags = (excludeKernel << 5) | (excludeKernel << 6);
  return (int)syscall(SYS_PERF_EVENT_OPEN, &attr, 0 /* this thread */,
                      -1 /* any cpu */, -1 /* no group */, 0);
}

static void openCounters(void) {
  for (int i = 0; i < NUM_COUNTERS; ++i) {
    int fd = openCounter(&counterSpecs[i], 0);
    /* Unprivileged processes may count user space only. */
    if (fd < 0)
      fd = openCounter(&counterSpecs[i], 1);
    counterFds[i] = fd < 0 ? -1 : fd;
    counterErrors[i] = fd < 0 ? *__errno_location() : 0;
    if (fd < 0 && counterErrors[i] == 0)
      counterErrors[i] = -1;
  }
}

static void readCounters(uint64_t *values) {
  for (int i = 0; i < NUM_COUNTERS; ++i) {
    values[i] = 0;
    if (counterFds[i] > 0 && read(counterFds[i], &values[i], 8) != 8)
      values[i] = 0;
  }
}

int32_t paso_profile_enable(int32_t requested) {
  flags();
  atomic_store(&enabled, 0);
  closeCounters();
  for (int i = 0; i < SLOTS; ++i) {
    atomic_store(&calls[i], 0);
    atomic_store(&nanoseconds[i], 0);
    for (int c = 0; c < NUM_COUNTERS; ++c)
      atomic_store(&counterTotals[i][c], 0);
  }
  atomic_store(&traceCount, 0);
  for (int i = 0; i < NUM_COUNTERS; ++i) {
    counterFds[i] = -1;
    counterErrors[i] = -1;
  }
  /* Counters and trace ride on timing. */
  if (requested & (PASO_PROFILE_COUNTERS | PASO_PROFILE_TRACE))
    requested |= PASO_PROFILE_TIME;
  requested &= PASO_PROFILE_TIME | PASO_PROFILE_COUNTERS | PASO_PROFILE_TRACE;
  if (requested & PASO_PROFILE_COUNTERS)
    openCounters();
  fromEnvironment = 0;
  atomic_store(&enabled, requested);
  return requested;
}

int32_t paso_profile_counters(const char **names, int32_t *errors,
                              int32_t max) {
  for (int i = 0; i < NUM_COUNTERS && i < max; ++i) {
    if (names)
      names[i] = counterSpecs[i].name;
    if (errors)
      errors[i] = counterErrors[i];
  }
  return NUM_COUNTERS;
}

int32_t paso_profile_read(int32_t kernel, uint64_t *values, int32_t max) {
  if (kernel < 0 || kernel >= SLOTS || !values)
    return 0;
  int32_t written = 0;
  if (written < max)
    values[written++] = atomic_load(&calls[kernel]);
  if (written < max)
    values[written++] = atomic_load(&nanoseconds[kernel]);
  for (int c = 0; c < NUM_COUNTERS && written < max; ++c)
    values[written++] = atomic_load(&counterTotals[kernel][c]);
  return written;
}

int32_t paso_profile_trace(paso_trace_event *events, int32_t max) {
  int32_t count = atomic_load(&traceCount);
  if (count > TRACE_CAPACITY)
    count = TRACE_CAPACITY;
  if (count > max)
    count = max;
  for (int32_t i = 0; i < count; ++i)
    events[i] = trace[i];
  atomic_store(&traceCount, 0);
  return count;
}

/* Called by paso_threads.c for a worker's part of a job (thread >= 1). */
void paso_profile_trace_event(int32_t thread, uint64_t start, uint64_t end) {
  int32_t slot = atomic_fetch_add(&traceCount, 1);
  if (slot >= TRACE_CAPACITY)
    return;
  trace[slot].kernel = atomic_load_explicit(&currentKernel,
                                            memory_order_relaxed);
  trace[slot].thread = thread;
  trace[slot].start_ns = start;
  trace[slot].end_ns = end;
}

int paso_profile_tracing(void) {
  return atomic_load_explicit(&enabled, memory_order_relaxed) > 0 &&
         (atomic_load_explicit(&enabled, memory_order_relaxed) &
          PASO_PROFILE_TRACE);
}

uint64_t paso_profile_now(void) { return now(); }

uint64_t paso_profile_start(int64_t kernel) {
  if (kernel < 0 || kernel >= SLOTS)
    return 0;
  int state = flags();
  if (!state)
    return 0;
  if (state & PASO_PROFILE_COUNTERS)
    readCounters(counterStart[kernel]);
  if (kernel > 0)
    atomic_store_explicit(&currentKernel, (int)kernel, memory_order_relaxed);
  return now();
}

void paso_profile_stop(int64_t kernel, uint64_t start) {
  if (!start)
    return;
  uint64_t end = now();
  int state = atomic_load_explicit(&enabled, memory_order_relaxed);
  if (state & PASO_PROFILE_COUNTERS) {
    uint64_t values[NUM_COUNTERS];
    readCounters(values);
    for (int c = 0; c < NUM_COUNTERS; ++c)
      atomic_fetch_add(&counterTotals[kernel][c],
                       values[c] - counterStart[kernel][c]);
  }
  atomic_fetch_add(&nanoseconds[kernel], end - start);
  atomic_fetch_add(&calls[kernel], 1);
  if (state & PASO_PROFILE_TRACE) {
    int32_t slot = atomic_fetch_add(&traceCount, 1);
    if (slot < TRACE_CAPACITY) {
      trace[slot].kernel = (int32_t)kernel;
      trace[slot].thread = 0;
      trace[slot].start_ns = start;
      trace[slot].end_ns = end;
    }
  }
}

__attribute__((destructor)) static void printProfile(void) {
  closeCounters();
  if (!fromEnvironment || atomic_load(&enabled) <= 0)
    return;
  uint64_t total = 0;
  for (int i = 1; i < SLOTS; ++i)
    total += atomic_load(&nanoseconds[i]);
  dprintf(2, "paso profile: kernel, calls, mean us, share of kernel time\n");
  for (int i = 1; i < SLOTS; ++i) {
    uint64_t count = atomic_load(&calls[i]);
    if (!count)
      continue;
    uint64_t time = atomic_load(&nanoseconds[i]);
    dprintf(2, "paso profile: %d, %llu, %.1f, %.1f%%\n", i,
            (unsigned long long)count, time / 1e3 / count,
            total ? 100.0 * time / total : 0.0);
  }
}
