// The floor under a clean `status`: the lstat of every name in a tree, and nothing else. Built and run
// by bench/stat-floor.js (see there).
//
//   stat-floor ROOT THREADS
//
// Reads every directory under ROOT first (not timed; `.store` and `.git` left out, as the tools leave
// them), then THREADS threads take one directory at a time and fstatat(2) each of its names against
// the open directory, as store's listing threads do. Prints the wall time and the CPU time (user +
// system, all threads) of that part alone, in milliseconds, and how many names it stat'ed.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  char *path;
  char **names;
  char *is_directory; // or may be (DT_UNKNOWN): lstat tells
  size_t count;
} directory_t;

static directory_t *directories;
static size_t directory_count, directory_capacity, next_directory;
static pthread_mutex_t next_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what, const char *path) {
  perror(path);
  fprintf(stderr, "stat-floor: %s failed\n", what);
  exit(1);
}

// Reads `path` and, depth first, every directory below it.
static void collect(const char *path) {
  DIR *dir = opendir(path);
  if (dir == NULL) fail("opendir", path);
  directory_t here = {strdup(path), NULL, NULL, 0};
  size_t capacity = 0;
  for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
    const char *name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, ".store") == 0 || strcmp(name, ".git") == 0) continue;
    if (here.count == capacity) {
      capacity = capacity == 0 ? 64 : capacity * 2;
      here.names = realloc(here.names, capacity * sizeof(char *));
      here.is_directory = realloc(here.is_directory, capacity);
      if (here.names == NULL || here.is_directory == NULL) fail("realloc", path);
    }
    here.names[here.count] = strdup(name);
    here.is_directory[here.count++] = entry->d_type == DT_DIR || entry->d_type == DT_UNKNOWN;
  }
  closedir(dir);
  if (directory_count == directory_capacity) {
    directory_capacity = directory_capacity == 0 ? 1024 : directory_capacity * 2;
    directories = realloc(directories, directory_capacity * sizeof(directory_t));
    if (directories == NULL) fail("realloc", path);
  }
  directories[directory_count++] = here;
  for (size_t i = 0; i < here.count; i++) {
    if (!here.is_directory[i]) continue;
    char child[4096];
    snprintf(child, sizeof child, "%s/%s", path, here.names[i]);
    struct stat st;
    if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) collect(child);
  }
}

static void *stat_directories(void *unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&next_lock);
    size_t index = next_directory++;
    pthread_mutex_unlock(&next_lock);
    if (index >= directory_count) return NULL;
    directory_t *directory = &directories[index];
    int fd = open(directory->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("open", directory->path);
    struct stat st;
    for (size_t i = 0; i < directory->count; i++) fstatat(fd, directory->names[i], &st, AT_SYMLINK_NOFOLLOW);
    close(fd);
  }
}

static double cpu_ms(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 3 || atoi(argv[2]) < 1 || atoi(argv[2]) > 64) {
    fprintf(stderr, "usage: stat-floor ROOT THREADS (1 to 64)\n");
    return 2;
  }
  collect(argv[1]);
  size_t names = 0;
  for (size_t i = 0; i < directory_count; i++) names += directories[i].count;
  int thread_count = atoi(argv[2]);
  pthread_t threads[64];
  struct timespec started, ended;
  double cpu_before = cpu_ms();
  clock_gettime(CLOCK_MONOTONIC, &started);
  for (int i = 0; i < thread_count; i++)
    if (pthread_create(&threads[i], NULL, stat_directories, NULL) != 0) fail("pthread_create", argv[1]);
  for (int i = 0; i < thread_count; i++) pthread_join(threads[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &ended);
  double wall = (ended.tv_sec - started.tv_sec) * 1e3 + (ended.tv_nsec - started.tv_nsec) / 1e6;
  printf("%.1f %.1f %zu\n", wall, cpu_ms() - cpu_before, names);
  return 0;
}
