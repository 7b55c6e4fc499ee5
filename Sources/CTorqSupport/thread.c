#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "CTorqSupport.h"

int tq_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    return pthread_setname_np(pthread_self(), truncated);
}

#include <errno.h>
#include <sched.h>

int tq_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

int tq_get_affinity(tq_cpu_mask *mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    memcpy(mask->bits, &set, sizeof mask->bits < sizeof set ? sizeof mask->bits : sizeof set);
    return 0;
}

int tq_set_affinity(const tq_cpu_mask *mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    memcpy(&set, mask->bits, sizeof mask->bits < sizeof set ? sizeof mask->bits : sizeof set);
    return sched_setaffinity(0, sizeof set, &set);
}

int tq_pin_to_cpus(int count) {
    cpu_set_t online;
    CPU_ZERO(&online);
    if (sched_getaffinity(0, sizeof online, &online) != 0) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    int taken = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && taken < count; cpu++) {
        if (CPU_ISSET(cpu, &online)) {
            CPU_SET(cpu, &set);
            taken++;
        }
    }
    if (taken == 0) {
        errno = EINVAL;
        return -1;
    }
    return sched_setaffinity(0, sizeof set, &set);
}

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int tq_set_thread_nice(int nice) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    return setpriority(PRIO_PROCESS, (id_t)tid, nice);
}
