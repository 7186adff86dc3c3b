/* Resident memory of this process, from /proc (Linux). */
#include "common/rss.h"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

uint64_t msiz_rss_now(void)
{
    unsigned long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &pages_total, &pages_resident);
    fclose(f);
    return n == 2 ? (uint64_t)pages_resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* VmHWM: the peak of this program's own address space. getrusage's ru_maxrss also counts the
 * image the process had before exec (a large parent's RSS after fork/vfork). */
uint64_t msiz_rss_peak(void)
{
    char line[256];
    unsigned long long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    if (kib > 0)
        return (uint64_t)kib * 1024u;
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024u : 0;
}
