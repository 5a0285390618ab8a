/*===- paso_threads.c - the model's persistent worker pool ---------------===*\
 *
 * paso_parallel_for(count, body, context) runs body(i) for every i < count
 * on the calling thread plus up to paso_get_num_threads() - 1 workers. The
 * workers are started on first use and kept: starting threads per layer
 * cost tens of microseconds each, more than a small layer's whole work.
 * Between jobs a worker spins briefly (back-to-back layers find it awake),
 * then sleeps on a condition variable. Indices are claimed one at a time
 * from a shared counter, so uneven pieces balance themselves, and a
 * worker that is slow to start (its core busy with another process)
 * finds the pieces taken by the others: the caller waits for pieces, not
 * for workers (docs/architecture.md, "Thread pool").
 *
 * One job runs at a time: a second caller (another context on another
 * thread) that finds the pool busy runs its job inline instead of waiting.
 * The pool is torn down by a destructor so that dlclose() never unmaps code
 * a worker is still executing, and reset in a forked child, which inherits
 * none of the workers.
 *
\*===----------------------------------------------------------------------===*/

#include <stdatomic.h>
#include <stdint.h>

/* Freestanding build: the pthread types are opaque storage of a size and
 * alignment at least glibc's for every target PASO supports (mutex 40/48
 * bytes, condition 48 bytes on x86-64/aarch64). */
typedef unsigned long paso_pthread_t;
typedef struct {
  _Alignas(16) unsigned char bytes[64];
} paso_mutex;
typedef struct {
  _Alignas(16) unsigned char bytes[64];
} paso_cond;
int pthread_create(paso_pthread_t *thread, const void *attributes,
                   void *(*start)(void *), void *argument);
int pthread_join(paso_pthread_t thread, void **result);
int pthread_mutex_init(paso_mutex *mutex, const void *attributes);
int pthread_mutex_lock(paso_mutex *mutex);
int pthread_mutex_trylock(paso_mutex *mutex);
int pthread_mutex_unlock(paso_mutex *mutex);
int pthread_cond_init(paso_cond *cond, const void *attributes);
int pthread_cond_wait(paso_cond *cond, paso_mutex *mutex);
int pthread_cond_broadcast(paso_cond *cond);
/* glibc 2.34 moved these three from libpthread into libc under a new
 * version; binding the original one lets a model built here load on an
 * older glibc too (JetPack 4 and 5 boards: 2.27, 2.31), where a GPU
 * target's model also names libpthread.so.0. */
#if defined(__aarch64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.17");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.17");
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@GLIBC_2.17");
#elif defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@GLIBC_2.2.5");
#endif
int sched_yield(void);
int getpid(void);
char *getenv(const char *name);
int open(const char *path, int flags, ...);
long read(int fd, void *buffer, unsigned long size);
int close(int fd);
long sysconf(int name);
enum { PASO_SC_NPROCESSORS_ONLN = 84 /* glibc's _SC_NPROCESSORS_ONLN */ };
enum { PASO_O_RDONLY_CLOEXEC = 02000000 /* O_RDONLY | O_CLOEXEC, Linux */ };

int32_t paso_get_num_threads(void);
/* paso_profile.c: a worker's part of a job, as a trace event. */
int paso_profile_tracing(void);
uint64_t paso_profile_now(void);
void paso_profile_trace_event(int32_t thread, uint64_t start, uint64_t end);

enum { PASO_MAX_WORKERS = 63 };
/* Spin iterations before a worker sleeps: about 50-100 us, longer than the
 * gap between two layers, far shorter than the gap between inferences. */
enum { SPIN_LIMIT = 1 << 15 };
/* machineIsBusy's samples of the load and the time between them. */
enum { LOAD_SAMPLES = 4, LOAD_SAMPLE_GAP_NS = 16000 };

static void cpuRelax(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __builtin_arm_yield();
#endif
}

typedef struct {
  /* Serialises callers; guards starting workers. */
  paso_mutex dispatch;
  /* Guards sleeping and waking. */
  paso_mutex sleep;
  paso_cond wake;
  paso_pthread_t threads[PASO_MAX_WORKERS];
  int32_t started;
  /* The generation when the workers were last started: a worker that
   * begins running after the job it was started for was published must
   * still take that job. */
  unsigned startGeneration;
  /* Bumped by 256 for every job and for shutdown; the low byte is the
   * job's helper count, so a worker reads both in one acquire. */
  atomic_uint generation;
  atomic_int shutdown;
  /* The current job. Its pieces are claimed through `claim`, one 64-bit
   * word holding the job's number, its piece count and the next piece, so
   * a claim is valid only for the job it read (see claimPiece). */
  void (*body)(int32_t, void *);
  void *context;
  atomic_ullong claim;
  /* Pieces finished; the caller waits for all of them, not for workers,
   * so a worker the OS has not scheduled (a busy core) costs nothing
   * unless it holds a piece. */
  atomic_int done;
  /* Contention (see noteStraggler): until when jobs run on the caller
   * alone (CLOCK_MONOTONIC ns), since when threaded jobs had no straggler,
   * and the back-off's length (50 ms << (level - 1)). */
  uint64_t backoffUntil, calmSince;
  int32_t level;
  /* Whether the machine's load was looked at since the pool last ran a
   * threaded job without a straggler (see othersRunnable). */
  int loadChecked;
  /* PASO_POOL_BACKOFF=0: always use the workers (measurements, tests). */
  int noBackoff;
  /* Set when an inference ends (paso_pool_rest), cleared by the next job:
   * workers stop spinning and sleep at once. */
  atomic_int resting;
  /* Workers waiting on `wake`: a job that must wake one is not judged for
   * stragglers (waking a sleeping thread, in a VM a halted virtual CPU,
   * can take longer than the job). */
  atomic_int sleepers;
} Pool;

/* claim = job << 44 | count << 22 | next piece. */
enum { PIECE_BITS = 22 };
#define PIECE_MASK ((1ull << PIECE_BITS) - 1)

static Pool pool;
static atomic_int poolState; /* 0 = uninitialised, 1 = initialising, 2 = ready */

/* Claims and runs pieces of the current job until none is left. A worker
 * that read a finished job's word fails its compare-exchange once the
 * caller publishes the next job, so it never runs a piece with another
 * job's body; a successful claim also keeps body and context in place,
 * since the caller waits for the claimed piece before it moves on. */
static void runIndices(void) {
  unsigned long long word =
      atomic_load_explicit(&pool.claim, memory_order_acquire);
  for (;;) {
    unsigned long long next = word & PIECE_MASK;
    unsigned long long count = (word >> PIECE_BITS) & PIECE_MASK;
    if (next >= count)
      return;
    if (!atomic_compare_exchange_weak_explicit(&pool.claim, &word, word + 1,
                                               memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    pool.body((int32_t)next, pool.context);
    atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    word = atomic_load_explicit(&pool.claim, memory_order_acquire);
  }
}

static void *workerMain(void *argument) {
  int32_t id = (int32_t)(intptr_t)argument;
  unsigned seen = pool.startGeneration;
  for (;;) {
    unsigned now;
    int spins = 0;
    while ((now = atomic_load_explicit(&pool.generation,
                                       memory_order_acquire)) == seen &&
           spins < SPIN_LIMIT &&
           !atomic_load_explicit(&pool.resting, memory_order_relaxed)) {
      cpuRelax();
      ++spins;
    }
    if (now == seen) {
      pthread_mutex_lock(&pool.sleep);
      atomic_fetch_add_explicit(&pool.sleepers, 1, memory_order_relaxed);
      while ((now = atomic_load_explicit(&pool.generation,
                                         memory_order_acquire)) == seen)
        pthread_cond_wait(&pool.wake, &pool.sleep);
      atomic_fetch_sub_explicit(&pool.sleepers, 1, memory_order_relaxed);
      pthread_mutex_unlock(&pool.sleep);
    }
    seen = now;
    if (atomic_load_explicit(&pool.shutdown, memory_order_acquire))
      return 0;
    /* Workers with an id below the helper count take part. */
    if (id >= (int32_t)(now & 0xff))
      continue;
    if (paso_profile_tracing()) {
      uint64_t start = paso_profile_now();
      runIndices();
      paso_profile_trace_event(id + 1, start, paso_profile_now());
    } else {
      runIndices();
    }
  }
}

/* The process that started the workers. A forked child has none of them
 * (and may have copied a locked mutex): it starts from an empty pool.
 * Checked per job rather than with pthread_atfork, whose handler would
 * outlive a dlclose of the model. */
static int poolOwner;

static void resetPoolInChild(void) {
  pthread_mutex_init(&pool.dispatch, 0);
  pthread_mutex_init(&pool.sleep, 0);
  pthread_cond_init(&pool.wake, 0);
  pool.started = 0;
  poolOwner = getpid();
}

static void initialisePool(void) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&poolState, &expected, 1)) {
    pthread_mutex_init(&pool.dispatch, 0);
    pthread_mutex_init(&pool.sleep, 0);
    pthread_cond_init(&pool.wake, 0);
    poolOwner = getpid();
    const char *backoff = getenv("PASO_POOL_BACKOFF");
    pool.noBackoff = backoff && backoff[0] == '0' && !backoff[1];
    atomic_store(&poolState, 2);
    return;
  }
  while (atomic_load(&poolState) != 2)
    sched_yield();
}

/* Runs jobs on the caller alone for the next back-off period (50 ms,
 * doubling per level up to 3.2 s). Called with the dispatch lock held. */
static void backOff(uint64_t now) {
  if (pool.level < 6)
    ++pool.level;
  pool.backoffUntil = now + (50000000ull << (pool.level - 1));
  pool.calmSince = 0;
  pool.loadChecked = 0; /* look at the load again when it ends */
}

/* When another process keeps a core busy, a worker holding a piece can
 * lose its core for a whole scheduler slice (milliseconds: measured, one
 * such wait cost 4 ms against a 4 ms MobileNetV2) and the caller waits;
 * a worker spinning between jobs also takes time from the caller. A job
 * whose wait for stragglers exceeded its own work and 500 us (longer than
 * a sleeping worker takes to wake on an idle machine) makes the pool run
 * jobs on the caller alone, so the workers go to sleep: for 50 ms, twice
 * as long after each further straggler (up to 3.2 s; contention from
 * another process lasts), back to 50 ms after a second of threaded jobs
 * without one. On an idle machine nobody straggles and nothing changes.
 * Called with the dispatch lock held. */
static void noteStraggler(uint64_t now, uint64_t ownNanoseconds,
                          uint64_t waitNanoseconds) {
  if (waitNanoseconds > 500000 && waitNanoseconds > ownNanoseconds) {
    backOff(now);
  } else if (!pool.calmSince) {
    pool.calmSince = now;
  } else if (now - pool.calmSince > 1000000000ull) {
    pool.level = 0;
  }
}

/* Threads runnable on the machine besides the caller, from the fourth
 * field of /proc/loadavg ("running/total", counted when read); -1 where
 * it cannot be read. Read only when the workers are asleep or not yet
 * started (the first job, the end of a back-off), so that none of them
 * is counted. About 10 us: far less than the scheduler slice a probe
 * job loses to a straggler when another process holds the core. */
static int othersRunnable(void) {
  int fd = open("/proc/loadavg", PASO_O_RDONLY_CLOEXEC);
  if (fd < 0)
    return -1;
  char text[128];
  long n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0)
    return -1;
  text[n] = 0;
  const char *p = text;
  for (int spaces = 0; spaces < 3 && *p; ++p)
    spaces += *p == ' ';
  int running = 0, digits = 0;
  for (; *p >= '0' && *p <= '9'; ++p, ++digits)
    running = running * 10 + (*p - '0');
  return digits && *p == '/' ? running - 1 : -1;
}

/* Before the first threaded job and each one that ends a back-off: when
 * other processes' runnable threads leave fewer free cores than the job
 * would wake helpers, back off (again) without paying a straggler to
 * find out. Called with the dispatch lock held. */
static int machineIsBusy(uint64_t now, int32_t helpers) {
  if (pool.loadChecked)
    return 0;
  pool.loadChecked = 1;
  long cores = sysconf(PASO_SC_NPROCESSORS_ONLN);
  if (cores < 1)
    return 0;
  /* One sample can catch threads on their way to sleep, those of another
   * engine or model in the process that has just returned: contention
   * must persist across samples over about 50 us. */
  for (int sample = 0; sample < LOAD_SAMPLES; ++sample) {
    if (sample) {
      uint64_t until = paso_profile_now() + LOAD_SAMPLE_GAP_NS;
      while (paso_profile_now() < until)
        cpuRelax();
    }
    int others = othersRunnable();
    if (others < 0 || cores - 1 - others >= helpers)
      return 0;
  }
  backOff(now);
  return 1;
}

int32_t paso_available_threads(void) {
  int32_t threads = paso_get_num_threads();
  if (threads > 1 && atomic_load(&poolState) == 2 && !pool.noBackoff &&
      paso_profile_now() <
          __atomic_load_n(&pool.backoffUntil, __ATOMIC_RELAXED))
    return 1;
  return threads;
}

/* Starts workers until `wanted` exist; returns how many do. Called with
 * the dispatch lock held. */
static int32_t ensureWorkers(int32_t wanted) {
  if (wanted > PASO_MAX_WORKERS)
    wanted = PASO_MAX_WORKERS;
  pool.startGeneration =
      atomic_load_explicit(&pool.generation, memory_order_relaxed);
  while (pool.started < wanted) {
    if (pthread_create(&pool.threads[pool.started], 0, workerMain,
                       (void *)(intptr_t)pool.started) != 0)
      break;
    ++pool.started;
  }
  return pool.started;
}

void paso_parallel_for(int32_t count, void (*body)(int32_t, void *),
                       void *context) {
  int32_t threads = paso_get_num_threads();
  if (count <= 0)
    return;
  if (count == 1 || threads <= 1 || (unsigned long long)count > PIECE_MASK) {
    for (int32_t i = 0; i < count; ++i)
      body(i, context);
    return;
  }
  initialisePool();
  if (poolOwner != getpid())
    resetPoolInChild();
  if (pthread_mutex_trylock(&pool.dispatch) != 0) {
    /* The pool is serving another context's inference. */
    for (int32_t i = 0; i < count; ++i)
      body(i, context);
    return;
  }
  /* Backing off from a contended machine: this job runs on the caller. */
  uint64_t start = paso_profile_now();
  int32_t helpers = (count < threads ? count : threads) - 1;
  if (!pool.noBackoff &&
      (start < pool.backoffUntil || machineIsBusy(start, helpers))) {
    pthread_mutex_unlock(&pool.dispatch);
    for (int32_t i = 0; i < count; ++i)
      body(i, context);
    return;
  }
  helpers = ensureWorkers(helpers) < helpers ? pool.started : helpers;
  pool.body = body;
  pool.context = context;
  atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
  static unsigned long long jobs;
  ++jobs;
  /* Publishing the claim word releases body and context to any worker
   * still looking for pieces (a spinning one need not wait for the
   * generation). */
  atomic_store_explicit(&pool.claim,
                        jobs << (2 * PIECE_BITS) |
                            (unsigned long long)count << PIECE_BITS,
                        memory_order_release);
  /* Publishing the generation wakes the workers. */
  pthread_mutex_lock(&pool.sleep);
  atomic_store_explicit(&pool.resting, 0, memory_order_relaxed);
  /* Under the lock: a worker counted here is asleep, not about to be. */
  int wakesSleepers =
      atomic_load_explicit(&pool.sleepers, memory_order_relaxed) > 0;
  unsigned generation =
      atomic_load_explicit(&pool.generation, memory_order_relaxed);
  atomic_store_explicit(&pool.generation,
                        ((generation >> 8) + 1) << 8 | (unsigned)helpers,
                        memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.sleep);
  runIndices();
  /* Only pieces a worker claimed and has not finished remain. If that
   * worker lost its core, yielding lets it (or the busy process) run
   * instead of this thread spinning through its time slice. */
  uint64_t ownDone = paso_profile_now();
  int spins = 0;
  while (atomic_load_explicit(&pool.done, memory_order_acquire) < count) {
    if (++spins < SPIN_LIMIT / 8)
      cpuRelax();
    else
      sched_yield();
  }
  uint64_t end = paso_profile_now();
  if (!wakesSleepers)
    noteStraggler(end, ownDone - start, end - ownDone);
  pthread_mutex_unlock(&pool.dispatch);
}

/* The end of an inference: workers spinning for the next job (up to
 * SPIN_LIMIT pauses) go to sleep instead. Spinning
 * pays between the layers of one inference; after it, it only took cores
 * from the application and from other models' pools in the process (two
 * models run alternately lost their second thread to each other's
 * spinning workers). */
void paso_pool_rest(void) {
  if (atomic_load(&poolState) == 2)
    atomic_store_explicit(&pool.resting, 1, memory_order_relaxed);
}

/* Runs at exit and at dlclose: stops and joins the workers. */
__attribute__((destructor)) static void shutdownPool(void) {
  /* A forked child that never ran a job owns no workers to join. */
  if (atomic_load(&poolState) != 2 || poolOwner != getpid())
    return;
  pthread_mutex_lock(&pool.dispatch);
  atomic_store_explicit(&pool.shutdown, 1, memory_order_release);
  pthread_mutex_lock(&pool.sleep);
  atomic_fetch_add_explicit(&pool.generation, 256, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.sleep);
  for (int32_t i = 0; i < pool.started; ++i)
    pthread_join(pool.threads[i], 0);
  pool.started = 0;
  pthread_mutex_unlock(&pool.dispatch);
}
