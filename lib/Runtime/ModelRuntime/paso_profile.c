/*===- paso_profile.c - per-kernel timing for PASO_PROFILE ---------------===*\
 *
 * With the environment variable PASO_PROFILE set (to anything but "0"),
 * every runtime-kernel call adds its wall time to its kernel's total, and
 * the totals are printed to stderr when the model is unloaded or the
 * process exits: one line per kernel, numbered as `paso-opt --report`
 * lists the runtime kernels, so measured and predicted times line up (the
 * data a calibration of the cost model needs). Without it a kernel call
 * costs one predictable branch.
 *
\*===----------------------------------------------------------------------===*/

#include <stdatomic.h>
#include <stdint.h>

char *getenv(const char *name);
int dprintf(int fd, const char *format, ...);
/* glibc's struct timespec on every target PASO supports (64-bit). */
struct paso_timespec {
  long seconds, nanoseconds;
};
int clock_gettime(int clock, struct paso_timespec *time);
enum { PASO_CLOCK_MONOTONIC = 1, PASO_MAX_PROFILED = 4096 };

static atomic_int enabled = -1; /* -1: not read yet */
static atomic_ullong nanoseconds[PASO_MAX_PROFILED];
static atomic_ullong calls[PASO_MAX_PROFILED];

static int profiling(void) {
  int state = atomic_load_explicit(&enabled, memory_order_relaxed);
  if (state < 0) {
    const char *value = getenv("PASO_PROFILE");
    state = value && value[0] && !(value[0] == '0' && !value[1]);
    atomic_store(&enabled, state);
  }
  return state;
}

static uint64_t now(void) {
  struct paso_timespec time;
  clock_gettime(PASO_CLOCK_MONOTONIC, &time);
  return (uint64_t)time.seconds * 1000000000u + (uint64_t)time.nanoseconds;
}

uint64_t paso_profile_start(int64_t kernel) {
  if (kernel <= 0 || kernel > PASO_MAX_PROFILED || !profiling())
    return 0;
  return now();
}

void paso_profile_stop(int64_t kernel, uint64_t start) {
  if (!start)
    return;
  atomic_fetch_add(&nanoseconds[kernel - 1], now() - start);
  atomic_fetch_add(&calls[kernel - 1], 1);
}

__attribute__((destructor)) static void printProfile(void) {
  if (atomic_load(&enabled) != 1)
    return;
  uint64_t total = 0;
  for (int i = 0; i < PASO_MAX_PROFILED; ++i)
    total += atomic_load(&nanoseconds[i]);
  dprintf(2, "paso profile: kernel, calls, mean us, share of kernel time\n");
  for (int i = 0; i < PASO_MAX_PROFILED; ++i) {
    uint64_t count = atomic_load(&calls[i]);
    if (!count)
      continue;
    uint64_t time = atomic_load(&nanoseconds[i]);
    dprintf(2, "paso profile: %d, %llu, %.1f, %.1f%%\n", i + 1,
            (unsigned long long)count, time / 1e3 / count,
            total ? 100.0 * time / total : 0.0);
  }
}
