// count_malloc: an LD_PRELOAD library that counts the heap allocations of the main thread
// (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) and writes the count to
// $MALLOC_COUNT_FILE.<pid> at exit. The training loop runs on the main thread; MPI's and
// OpenBLAS's helper threads allocate on their own schedule and would only add noise.
// scripts/bench.sh runs the trainer with it for 1 and for 3 epochs: the difference is what
// the extra epochs allocate, so allocations per step can be read off.
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static atomic_long allocations;

// No thread-local storage here: its first use may itself call malloc.
static inline void count_one(void) {
    if (syscall(SYS_gettid) == getpid()) atomic_fetch_add(&allocations, 1);
}

void *malloc(size_t size) { count_one(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { count_one(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { count_one(); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { count_one(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count_one(); return __libc_memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
    count_one();
    *result = __libc_memalign(alignment, size);
    return *result ? 0 : 12;
}

__attribute__((destructor)) static void report(void) {
    long count = atomic_load(&allocations);
    const char *prefix = getenv("MALLOC_COUNT_FILE");
    if (!prefix) return;
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", prefix, (int)getpid());
    FILE *out = fopen(path, "w");
    if (!out) return;
    fprintf(out, "%ld\n", count);
    fclose(out);
}
