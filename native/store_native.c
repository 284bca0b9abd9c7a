// setTimesNs(path: Buffer, atimeNs: bigint, mtimeNs: bigint, followSymlinks: boolean): utimensat(2)
// with nanosecond times. setFileTimesNs(fd: number, atimeNs: bigint, mtimeNs: bigint): futimens(2), the
// same on an open file (no path walk).
// listDirectory(path: Buffer): { names: Buffer, fields: Float64Array, memory }: a directory's names (as bytes,
// end to end) and each one's lstat, FIELDS numbers per name (see below), read with fstatat(2) against
// the open directory: one call per directory instead of a call and a path walk per file. Sorted as
// the trees sort paths: by bytes, a directory's name as if a '/' followed it.
// Both throw an Error with `errno` (a positive errno number) and `syscall`.
// startListing(paths: Buffer[], known?: (Buffer | null)[]): starts listDirectory of each on the listing
// threads (as many as there are cores, up to MAX_THREADS, kept for the process's life; the batches in
// the order they were started) and returns at once a handle; finishListing(handle)
// waits for them and returns the listings in order, a directory that failed as { errno, syscall } in
// its place. A handle never finished is freed when collected, once the listings already handed to a
// thread are done (the others are dropped).
// Known names (git's untracked cache): listDirectory(path, known) and startListing's known[i] may give
// what a directory held when its stat was last seen: SELF_FIELDS doubles (little-endian: inode,
// device, mtime s, mtime ns, ctime s, ctime ns) then its names, each ending in a NUL. When the open
// directory's fstat still shows exactly those numbers, no name can have come or gone (any change to a
// directory's entries moves its mtime and ctime), so the names are stat'ed without reading the
// directory; otherwise, or when a known name has gone all the same, it is read. Each listing also
// gives `self`, the directory's own fstat taken before its names were read, and `fromKnown`.
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int error, const char *call) {
  napi_value message, err, number, syscall;
  napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &err);
  napi_create_int32(env, error, &number);
  napi_set_named_property(env, err, "errno", number);
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, err, "syscall", syscall);
  napi_throw(env, err);
  return NULL;
}

static int to_timespec(napi_env env, napi_value value, struct timespec *out) {
  int64_t ns;
  bool lossless;
  if (napi_get_value_bigint_int64(env, value, &ns, &lossless) != napi_ok || !lossless) return 0;
  int64_t seconds = ns / 1000000000;
  int64_t rest = ns % 1000000000;
  if (rest < 0) { // timespec's nanoseconds are never negative
    seconds -= 1;
    rest += 1000000000;
  }
  out->tv_sec = (time_t)seconds;
  out->tv_nsec = (long)rest;
  return 1;
}

static napi_value set_times_ns(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "setTimesNs(path, atimeNs, mtimeNs, followSymlinks)");
    return NULL;
  }
  void *data;
  size_t length;
  if (napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "path must be a Buffer");
    return NULL;
  }
  struct timespec times[2];
  if (!to_timespec(env, argv[1], &times[0]) || !to_timespec(env, argv[2], &times[1])) {
    napi_throw_type_error(env, NULL, "times must be BigInt nanoseconds");
    return NULL;
  }
  bool follow;
  napi_get_value_bool(env, argv[3], &follow);
  char *path = malloc(length + 1);
  if (path == NULL) return throw_errno(env, ENOMEM, "utimensat");
  memcpy(path, data, length);
  path[length] = '\0';
  int result = utimensat(AT_FDCWD, path, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  int error = errno;
  free(path);
  if (result != 0) return throw_errno(env, error, "utimensat");
  return NULL;
}

// Per name: end of the name in `names`, mode, size, mtime seconds, mtime nanoseconds, ctime seconds,
// ctime nanoseconds, inode, device, errno of its fstatat (0 when it succeeded).
#define FIELDS 10
// At most this many threads list directories at once: stat-bound work stops scaling past the cores.
#define MAX_THREADS 8

// The directory's own fstat as `self` and known names give it: inode, device, mtime s, mtime ns,
// ctime s, ctime ns.
#define SELF_FIELDS 6

typedef struct {
  char *path;
  char *known; // SELF_FIELDS doubles then NUL-terminated names, or NULL
  size_t known_length;
  char *names;
  size_t names_used;
  size_t names_capacity;
  double *fields;
  size_t fields_capacity;
  size_t count;
  double self[SELF_FIELDS];
  int from_known;
  size_t directories; // how many names are directories (lstat succeeded)
  int error;
  const char *call;
} listing_t;

static void free_listing(listing_t *listing) {
  free(listing->path);
  free(listing->known);
  free(listing->names);
  free(listing->fields);
  listing->path = listing->known = listing->names = NULL;
  listing->fields = NULL;
}

// A name's sort key is the name, then '/' when it is a directory: the order of the trees' and the
// staging area's paths, where a directory's entries come where its name and a slash sort.

static size_t name_start(const double *fields, size_t index) {
  return index == 0 ? 0 : (size_t)fields[(index - 1) * FIELDS];
}

static int key_byte(const char *name, size_t length, size_t at, int is_directory) {
  if (at < length) return (unsigned char)name[at];
  return at == length && is_directory ? '/' : -1;
}

static int is_directory_entry(const double *fields, size_t index) {
  return fields[index * FIELDS + 9] == 0 && S_ISDIR((mode_t)fields[index * FIELDS + 1]);
}

// Entry `index`'s sort key against the key of `name` (a directory's when `is_directory`).
static int compare_key(const char *names, const double *fields, size_t index, const char *name, size_t length, int is_directory) {
  size_t start = name_start(fields, index), entry_length = (size_t)fields[index * FIELDS] - start;
  size_t common = entry_length < length ? entry_length : length;
  int order = memcmp(names + start, name, common);
  if (order != 0) return order;
  return key_byte(names + start, entry_length, common, is_directory_entry(fields, index)) - key_byte(name, length, common, is_directory);
}

static int compare_entries(const void *left, const void *right, void *context) {
  const listing_t *listing = context;
  size_t b = *(const size_t *)right, b_start = name_start(listing->fields, b);
  return compare_key(listing->names, listing->fields, *(const size_t *)left, listing->names + b_start, (size_t)listing->fields[b * FIELDS] - b_start,
                     is_directory_entry(listing->fields, b));
}

// Puts the listing's names in sort-key order (see above). Returns 0 on ENOMEM.
static int sort_listing(listing_t *listing) {
  size_t count = listing->count;
  if (count < 2) return 1;
  size_t *order = malloc(count * sizeof(size_t));
  char *names = malloc(listing->names_used > 0 ? listing->names_used : 1);
  double *fields = malloc(count * FIELDS * sizeof(double));
  if (order == NULL || names == NULL || fields == NULL) {
    free(order);
    free(names);
    free(fields);
    return 0;
  }
  for (size_t i = 0; i < count; i++) order[i] = i;
  qsort_r(order, count, sizeof(size_t), compare_entries, listing);
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    size_t from = order[i];
    size_t start = name_start(listing->fields, from), length = (size_t)listing->fields[from * FIELDS] - start;
    memcpy(names + used, listing->names + start, length);
    used += length;
    memcpy(fields + i * FIELDS, listing->fields + from * FIELDS, FIELDS * sizeof(double));
    fields[i * FIELDS] = (double)used;
  }
  free(order);
  free(listing->names);
  free(listing->fields);
  listing->names = names;
  listing->fields = fields;
  return 1;
}

// Makes room for `names_bytes` more name bytes and `names` more entries. Returns 0 on ENOMEM.
static int reserve(listing_t *listing, size_t names_bytes, size_t names) {
  if (listing->names_used + names_bytes > listing->names_capacity) {
    size_t capacity = listing->names_used + names_bytes;
    char *grown = realloc(listing->names, capacity);
    if (grown == NULL) return 0;
    listing->names = grown;
    listing->names_capacity = capacity;
  }
  if ((listing->count + names) * FIELDS > listing->fields_capacity) {
    size_t capacity = (listing->count + names) * FIELDS;
    double *grown = realloc(listing->fields, capacity * sizeof(double));
    if (grown == NULL) return 0;
    listing->fields = grown;
    listing->fields_capacity = capacity;
  }
  return 1;
}

// Adds `name` and its lstat (fstatat against the open directory `fd`), counting it when it is a
// directory: a walk looks for subdirectories only where there are some (a directory of files then
// costs it no loop over them in JavaScript). Returns 0, or ENOMEM.
static int add_entry(listing_t *listing, int fd, const char *name, size_t name_length) {
  if ((listing->names_used + name_length > listing->names_capacity || (listing->count + 1) * FIELDS > listing->fields_capacity) &&
      !reserve(listing, listing->names_capacity + name_length, listing->fields_capacity / FIELDS + 1))
    return ENOMEM;
  memcpy(listing->names + listing->names_used, name, name_length);
  listing->names_used += name_length;
  double *out = listing->fields + listing->count * FIELDS;
  out[0] = (double)listing->names_used;
  struct stat st;
  if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    int error = errno;
    for (int field = 1; field < 9; field++) out[field] = 0;
    out[9] = (double)error;
  } else {
    out[1] = (double)st.st_mode;
    out[2] = (double)st.st_size;
    out[3] = (double)st.st_mtim.tv_sec;
    out[4] = (double)st.st_mtim.tv_nsec;
    out[5] = (double)st.st_ctim.tv_sec;
    out[6] = (double)st.st_ctim.tv_nsec;
    out[7] = (double)st.st_ino;
    out[8] = (double)st.st_dev;
    out[9] = 0;
  }
  listing->directories += is_directory_entry(listing->fields, listing->count);
  listing->count++;
  return 0;
}

// Stats the known names when the directory's fstat (listing->self) is the one they were seen with.
// Returns 1 when the listing is complete, with *in_order telling whether it is in sort-key order
// (known names were written so; each is compared with the one before as it is added); 0 when the
// directory must be read (changed, a known name gone or given twice, or the names malformed), with
// the listing emptied; -1 on ENOMEM. One pass over each name finds its end and a '/' in it (three
// memchr calls a name, and a comparison of each pair after, were ~2.5% of a clean status's CPU at
// 500,000 files, perf by hand).
static int list_known(listing_t *listing, int fd, int *in_order) {
  if (listing->known == NULL || listing->known_length < SELF_FIELDS * sizeof(double)) return 0;
  double seen[SELF_FIELDS];
  memcpy(seen, listing->known, sizeof seen);
  for (int i = 0; i < SELF_FIELDS; i++)
    if (seen[i] != listing->self[i]) return 0;
  const char *at = listing->known + sizeof seen, *end = listing->known + listing->known_length;
  // Room for every known name at once: growing by doubling copied each listing four or five times.
  size_t names = 0;
  for (const char *byte = at; byte < end; byte++) names += *byte == '\0';
  if (!reserve(listing, (size_t)(end - at), names)) return -1;
  *in_order = 1;
  while (at < end) {
    const char *nul = at;
    int slash = 0;
    for (; nul < end && *nul != '\0'; nul++) slash |= *nul == '/';
    size_t length = (size_t)(nul - at);
    // Malformed, or not one entry of this directory (a name a readdir never gives): read the directory.
    if (nul == end || length == 0 || slash || (at[0] == '.' && (length == 1 || (length == 2 && at[1] == '.')))) break;
    if (add_entry(listing, fd, at, length) != 0) return -1;
    size_t added = listing->count - 1, before = added - 1;
    if (listing->fields[added * FIELDS + 9] == (double)ENOENT) break;
    if (added > 0) {
      int order = compare_entries(&before, &added, listing);
      if (order == 0) break; // a name twice: no directory holds that
      if (order > 0) *in_order = 0;
    }
    at = nul + 1;
  }
  if (at == end) return 1;
  listing->count = listing->names_used = listing->directories = 0;
  return 0;
}

// Lists listing->path with every name's lstat, sorted; on failure sets error and call.
static void list_into(listing_t *listing) {
  listing->names_used = listing->count = listing->directories = 0;
  listing->from_known = 0;
  listing->error = 0;
  listing->names_capacity = 4096;
  listing->fields_capacity = 64 * FIELDS;
  listing->names = malloc(listing->names_capacity);
  listing->fields = malloc(listing->fields_capacity * sizeof(double));
  int error = listing->names == NULL || listing->fields == NULL ? ENOMEM : 0;
  int fd = error == 0 ? open(listing->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  struct stat self;
  int known = 0, in_order = 0;
  if (error == 0 && (fd < 0 || fstat(fd, &self) != 0)) {
    int failure = errno;
    if (fd >= 0) close(fd);
    free(listing->names);
    free(listing->fields);
    listing->names = NULL;
    listing->fields = NULL;
    listing->error = failure;
    listing->call = "opendir";
    return;
  }
  if (error == 0) {
    listing->self[0] = (double)self.st_ino;
    listing->self[1] = (double)self.st_dev;
    listing->self[2] = (double)self.st_mtim.tv_sec;
    listing->self[3] = (double)self.st_mtim.tv_nsec;
    listing->self[4] = (double)self.st_ctim.tv_sec;
    listing->self[5] = (double)self.st_ctim.tv_nsec;
    known = list_known(listing, fd, &in_order);
    if (known < 0) error = ENOMEM;
    listing->from_known = known > 0;
  }
  if (error == 0 && !listing->from_known) {
    DIR *dir = fdopendir(fd);
    if (dir == NULL) error = errno;
    else fd = -1; // closed with dir
    while (dir != NULL && error == 0) {
      errno = 0;
      struct dirent *entry = readdir(dir);
      if (entry == NULL) {
        error = errno;
        break;
      }
      const char *name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      error = add_entry(listing, dirfd(dir), name, strlen(name));
    }
    if (dir != NULL) closedir(dir);
  }
  if (fd >= 0) close(fd);
  if (error == 0 && !(listing->from_known && in_order) && !sort_listing(listing)) error = ENOMEM;
  if (error != 0) {
    free(listing->names);
    free(listing->fields);
    listing->names = NULL;
    listing->fields = NULL;
    listing->error = error;
    listing->call = "readdir";
  }
}

// A listing's names and fields, handed to JavaScript without a copy (the copy into memory V8 owns was
// ~28 ms of the main thread's ~200 ms of CPU in a clean status of 500,000 files, perf by hand). V8
// frees such memory only when it collects, late (a clean status of 1,000,000 files peaked at 160 MB
// against 115, measured), so the walk gives each listing back once walked (releaseListing): both
// buffers are detached, so that no JavaScript can read them again, and freed then. A listing never
// given back is freed when its buffers and its `memory` handle are all collected.
typedef struct {
  void *names;
  void *fields;
  int refs; // of the two buffers and the handle, those not yet collected
} listing_memory_t;

// Listings whose numbers take fewer bytes are copied: an external buffer costs Node more to make and
// to finalize than a small copy (a clean status of 1,729 directories of ~7 files each: 10 ms slower
// with every listing handed over, measured).
#define HAND_OVER_BYTES (32 * 1024)

static void free_listing_memory(listing_memory_t *memory) {
  free(memory->names);
  free(memory->fields);
  memory->names = memory->fields = NULL;
}

static void collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data; // freed through `memory`, which knows whether releaseListing freed it already
  listing_memory_t *memory = hint;
  if (--memory->refs > 0) return;
  free_listing_memory(memory);
  free(memory);
}

// The listing as JavaScript values: `names` and `fields` over the listing's own memory (see above),
// `memory` what releaseListing frees.
static napi_value listing_value(napi_env env, listing_t *listing) {
  napi_value result, names_buffer, fields_buffer, fields_array, memory_value;
  int hand_over = listing->count * FIELDS * sizeof(double) >= HAND_OVER_BYTES && listing->names_used > 0;
  listing_memory_t *memory = hand_over ? calloc(1, sizeof(listing_memory_t)) : NULL;
  if (memory == NULL) {
    // Small (or no room to track it): copied.
    void *copy;
    napi_create_buffer_copy(env, listing->names_used, listing->count > 0 ? listing->names : "", NULL, &names_buffer);
    napi_create_arraybuffer(env, listing->count * FIELDS * sizeof(double), &copy, &fields_buffer);
    if (listing->count > 0) memcpy(copy, listing->fields, listing->count * FIELDS * sizeof(double));
    napi_get_undefined(env, &memory_value);
  } else {
    memory->names = listing->names;
    memory->fields = listing->fields;
    listing->names = NULL;
    listing->fields = NULL;
    // Each value made holds one count: the memory is freed when the last is collected.
    int made = napi_create_external_buffer(env, listing->names_used, memory->names, collected, memory, &names_buffer) == napi_ok;
    made += napi_create_external_arraybuffer(env, memory->fields, listing->count * FIELDS * sizeof(double), collected, memory, &fields_buffer) == napi_ok;
    made += napi_create_external(env, memory, collected, memory, &memory_value) == napi_ok;
    memory->refs = made;
    if (made < 3) {
      if (made == 0) {
        free_listing_memory(memory);
        free(memory);
      }
      return throw_errno(env, ENOMEM, "listing");
    }
  }
  napi_create_typedarray(env, napi_float64_array, listing->count * FIELDS, fields_buffer, 0, &fields_array);
  napi_value self_buffer, self_array, from_known;
  void *self_copy;
  napi_create_arraybuffer(env, sizeof listing->self, &self_copy, &self_buffer);
  memcpy(self_copy, listing->self, sizeof listing->self);
  napi_create_typedarray(env, napi_float64_array, SELF_FIELDS, self_buffer, 0, &self_array);
  napi_get_boolean(env, listing->from_known, &from_known);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "names", names_buffer);
  napi_set_named_property(env, result, "fields", fields_array);
  napi_set_named_property(env, result, "self", self_array);
  napi_set_named_property(env, result, "fromKnown", from_known);
  napi_set_named_property(env, result, "memory", memory_value);
  napi_value directories_value;
  napi_create_uint32(env, (uint32_t)listing->directories, &directories_value);
  napi_set_named_property(env, result, "directories", directories_value);
  return result;
}

// The ArrayBuffer under `typed_array` when it views `memory` from its start, else NULL.
static napi_value buffer_over(napi_env env, napi_value typed_array, const void *memory) {
  napi_value array_buffer;
  void *data = NULL;
  bool is_typed_array = false;
  if (napi_is_typedarray(env, typed_array, &is_typed_array) != napi_ok || !is_typed_array) return NULL;
  if (napi_get_typedarray_info(env, typed_array, NULL, NULL, &data, &array_buffer, NULL) != napi_ok) return NULL;
  return data == memory ? array_buffer : NULL;
}

// releaseListing(names: Buffer, fields: Float64Array, memory): detaches a listing's buffers and frees
// their memory (see listing_memory_t). Given back twice, or without memory, it does nothing more.
static napi_value release_listing(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  listing_memory_t *memory = NULL;
  napi_valuetype type = napi_undefined;
  if (argc == 3) napi_typeof(env, argv[2], &type);
  if (type == napi_undefined) return NULL;
  if (type != napi_external || napi_get_value_external(env, argv[2], (void **)&memory) != napi_ok || memory == NULL) {
    napi_throw_type_error(env, NULL, "releaseListing(names, fields, memory): a listing's own");
    return NULL;
  }
  if (memory->names == NULL) return NULL; // given back already
  // Freed only when the two buffers given are the ones over this memory and both could be detached:
  // any other buffer would still read it.
  napi_value names = buffer_over(env, argv[0], memory->names), fields = buffer_over(env, argv[1], memory->fields);
  if (names == NULL || fields == NULL) {
    napi_throw_type_error(env, NULL, "releaseListing(names, fields, memory): the buffers are not the listing's own");
    return NULL;
  }
  if (napi_detach_arraybuffer(env, names) != napi_ok || napi_detach_arraybuffer(env, fields) != napi_ok) {
    napi_throw_type_error(env, NULL, "releaseListing: the listing's buffers could not be detached");
    return NULL;
  }
  free_listing_memory(memory);
  return NULL;
}

static char *path_argument(napi_env env, napi_value value) {
  void *data;
  size_t length;
  if (napi_get_buffer_info(env, value, &data, &length) != napi_ok) return NULL;
  char *path = malloc(length + 1);
  if (path == NULL) return NULL;
  memcpy(path, data, length);
  path[length] = '\0';
  return path;
}

// Copies an optional Buffer of known names (see above) into `listing`. Returns 0 when it is neither a
// Buffer nor null/undefined, or on ENOMEM.
static int known_argument(napi_env env, napi_value value, listing_t *listing) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  if (type == napi_null || type == napi_undefined) return 1;
  void *data;
  size_t length;
  if (napi_get_buffer_info(env, value, &data, &length) != napi_ok) return 0;
  listing->known = malloc(length > 0 ? length : 1);
  if (listing->known == NULL) return 0;
  memcpy(listing->known, data, length);
  listing->known_length = length;
  return 1;
}

static napi_value list_directory(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  listing_t listing = {0};
  if (argc < 1 || (listing.path = path_argument(env, argv[0])) == NULL || (argc > 1 && !known_argument(env, argv[1], &listing))) {
    free_listing(&listing);
    napi_throw_type_error(env, NULL, "listDirectory(path: Buffer, known?: Buffer | null)");
    return NULL;
  }
  list_into(&listing);
  napi_value result = listing.error != 0 ? throw_errno(env, listing.error, listing.call) : listing_value(env, &listing);
  free_listing(&listing);
  return result;
}

// The listing threads: as many as there are cores (up to MAX_THREADS), started by the first
// startListing and kept for the process's life, fed every batch's directories in the order the
// batches were started. A thread a batch, started and ended with it, cost a clean status of 500,000
// files 64 threads' clone, fresh stack and exit (~8 ms of CPU, perf); and the three batches listed at
// once shared the cores, so the one the walk waited on was done no sooner than the two after it.
typedef struct batch {
  listing_t *listings;
  size_t count;
  size_t next; // the next listing to hand out; under pool.lock, as are the fields below
  size_t done; // listings done
  struct batch *queued; // the next batch in the queue
  int in_queue;
  int taken;
} batch_t;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t queued; // a batch came into the queue
  pthread_cond_t done; // a listing was done
  batch_t *head, *tail; // the batches with listings not yet handed out, oldest first
  size_t threads; // started
  int starting_tried;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0};

// Under pool.lock: takes `batch` out of the queue, wherever it is.
static void unqueue(batch_t *batch) {
  if (!batch->in_queue) return;
  batch_t **link = &pool.head;
  batch_t *previous = NULL;
  while (*link != batch) {
    previous = *link;
    link = &(*link)->queued;
  }
  *link = batch->queued;
  if (pool.tail == batch) pool.tail = previous;
  batch->queued = NULL;
  batch->in_queue = 0;
}

// Under pool.lock, which it lets go while it lists: lists `batch`'s next listing; 0 when none is left.
static int list_next_of(batch_t *batch) {
  if (batch->next >= batch->count) return 0;
  size_t index = batch->next++;
  if (batch->next == batch->count) unqueue(batch);
  pthread_mutex_unlock(&pool.lock);
  list_into(&batch->listings[index]);
  pthread_mutex_lock(&pool.lock);
  // Its waiter (finish, or free of a batch never finished) waits for what was handed out.
  if (++batch->done == batch->next && !batch->in_queue) pthread_cond_broadcast(&pool.done);
  return 1;
}

// The name top -H, perf and /proc/PID/task/*/comm show.
#define LISTING_THREAD_NAME "store-list"

static void *listing_thread(void *unused) {
  (void)unused;
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    while (pool.head == NULL) pthread_cond_wait(&pool.queued, &pool.lock);
    list_next_of(pool.head);
  }
  return NULL;
}

// Under pool.lock: starts the threads, once; as many as could be started.
static void start_threads(void) {
  if (pool.starting_tried) return;
  pool.starting_tried = 1;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  size_t wanted = cores > 1 ? (size_t)cores : 1;
  if (wanted > MAX_THREADS) wanted = MAX_THREADS;
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return;
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  while (pool.threads < wanted && pthread_create(&thread, &attributes, listing_thread, NULL) == 0) {
    pthread_setname_np(thread, LISTING_THREAD_NAME); // here: named before startListing returns
    pool.threads++;
  }
  pthread_attr_destroy(&attributes);
}

// Waits until every listing of `batch` is done; with no listing thread, lists them here.
static void finish_batch(batch_t *batch) {
  pthread_mutex_lock(&pool.lock);
  if (pool.threads == 0)
    while (list_next_of(batch)) {
    }
  while (batch->done < batch->count) pthread_cond_wait(&pool.done, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
}

static void free_batch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  batch_t *batch = data;
  // A batch never finished: what was not handed out is dropped; what was, the threads still hold.
  pthread_mutex_lock(&pool.lock);
  unqueue(batch);
  while (batch->done < batch->next) pthread_cond_wait(&pool.done, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  for (size_t i = 0; i < batch->count; i++) free_listing(&batch->listings[i]);
  free(batch->listings);
  free(batch);
}

static napi_value start_listing(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t count = 0, known_count = 0;
  bool is_array = false, known_is_array = false;
  napi_valuetype known_type = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &known_type);
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      (known_type != napi_undefined && (napi_is_array(env, argv[1], &known_is_array) != napi_ok || !known_is_array))) {
    napi_throw_type_error(env, NULL, "startListing(paths: Buffer[], known?: (Buffer | null)[])");
    return NULL;
  }
  if (known_is_array) napi_get_array_length(env, argv[1], &known_count);
  napi_get_array_length(env, argv[0], &count);
  batch_t *batch = calloc(1, sizeof(batch_t));
  if (batch != NULL) batch->listings = calloc(count > 0 ? count : 1, sizeof(listing_t));
  if (batch == NULL || batch->listings == NULL) {
    free(batch);
    return throw_errno(env, ENOMEM, "startListing");
  }
  batch->count = count;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element, known = NULL;
    napi_get_element(env, argv[0], i, &element);
    if (i < known_count) napi_get_element(env, argv[1], i, &known);
    if ((batch->listings[i].path = path_argument(env, element)) == NULL || (known != NULL && !known_argument(env, known, &batch->listings[i]))) {
      free_batch(env, batch, NULL); // not queued yet
      napi_throw_type_error(env, NULL, "startListing(paths: Buffer[], known?: (Buffer | null)[])");
      return NULL;
    }
  }
  pthread_mutex_lock(&pool.lock);
  start_threads();
  if (count > 0 && pool.threads > 0) {
    if (pool.tail != NULL) pool.tail->queued = batch;
    else pool.head = batch;
    pool.tail = batch;
    batch->in_queue = 1;
    pthread_cond_broadcast(&pool.queued);
  }
  pthread_mutex_unlock(&pool.lock);
  napi_value handle;
  if (napi_create_external(env, batch, free_batch, NULL, &handle) != napi_ok) {
    free_batch(env, batch, NULL);
    return throw_errno(env, ENOMEM, "startListing");
  }
  return handle;
}

static napi_value finish_listing(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  batch_t *batch = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&batch) != napi_ok || batch == NULL || batch->taken) {
    napi_throw_type_error(env, NULL, "finishListing(handle): a handle from startListing, finished once");
    return NULL;
  }
  finish_batch(batch);
  batch->taken = 1;
  napi_value results;
  napi_create_array_with_length(env, batch->count, &results);
  for (uint32_t i = 0; i < batch->count; i++) {
    listing_t *listing = &batch->listings[i];
    napi_value value;
    if (listing->error == 0) value = listing_value(env, listing);
    else {
      napi_value number, syscall;
      napi_create_object(env, &value);
      napi_create_int32(env, listing->error, &number);
      napi_set_named_property(env, value, "errno", number);
      napi_create_string_utf8(env, listing->call, NAPI_AUTO_LENGTH, &syscall);
      napi_set_named_property(env, value, "syscall", syscall);
    }
    napi_set_element(env, results, i, value);
    free_listing(listing);
  }
  return results;
}

static napi_value set_file_times_ns(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  struct timespec times[2];
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !to_timespec(env, argv[1], &times[0]) ||
      !to_timespec(env, argv[2], &times[1])) {
    napi_throw_type_error(env, NULL, "setFileTimesNs(fd, atimeNs, mtimeNs)");
    return NULL;
  }
  if (futimens(fd, times) != 0) return throw_errno(env, errno, "futimens");
  return NULL;
}

// The staging area's layout (src/staging/staging-format.ts): a 32-byte header (entry count at 12,
// heap bytes at 16, the time it was written, in ns, at 24), then 88-byte records (kind at 0, size at
// 8, mtime ns at 16, ctime ns at 24, inode at 32, path offset and length in the heap at 80 and 84).
#define STAGING_HEADER_BYTES 32
#define STAGING_ENTRY_BYTES 88

static uint64_t read_u64le(const unsigned char *at) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; i--) value = (value << 8) | at[i];
  return value;
}

static uint32_t read_u32le(const unsigned char *at) {
  return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

// The entry kinds of src/core/vocabulary.ts a listed mode is, or 0 when it is none (a directory, a FIFO...).
static int entry_kind(double mode_field) {
  mode_t mode = (mode_t)mode_field;
  if (S_ISLNK(mode)) return 3;
  if (S_ISREG(mode)) return (mode & 0111) != 0 ? 2 : 1;
  return 0;
}

// Whether staged record `record` is the listed entry `index` at the same stat data, and not racily
// clean: the test of StagingView.isUnchangedAt, made stricter (times to the nanosecond), so that
// what it takes, that one takes too.
static int is_unchanged(const unsigned char *staging, size_t staging_length, size_t heap_start, int64_t written_ns,
                        const unsigned char *record, const unsigned char *directory, size_t directory_length,
                        const char *names, const double *fields, size_t index) {
  const double *field = fields + index * FIELDS;
  if (field[9] != 0) return 0;
  int kind = entry_kind(field[1]);
  if (kind == 0 || record[0] != kind) return 0;
  size_t name_begin = name_start(fields, index), name_length = (size_t)field[0] - name_begin;
  size_t path_offset = read_u32le(record + 80), path_length = read_u32le(record + 84);
  size_t prefix = directory_length == 0 ? 0 : directory_length + 1;
  if (path_length != prefix + name_length || heap_start + path_offset + path_length > staging_length) return 0;
  const unsigned char *path = staging + heap_start + path_offset;
  if (memcmp(path + prefix, names + name_begin, name_length) != 0) return 0;
  if (prefix != 0 && (path[directory_length] != '/' || memcmp(path, directory, directory_length) != 0)) return 0;
  uint64_t size = read_u64le(record + 8), inode = read_u64le(record + 32);
  if ((double)(size >> 32) * 4294967296.0 + (double)(uint32_t)size != field[2]) return 0;
  if ((double)(inode >> 32) * 4294967296.0 + (double)(uint32_t)inode != field[7]) return 0;
  int64_t mtime_ns = (int64_t)read_u64le(record + 16), ctime_ns = (int64_t)read_u64le(record + 24);
  if (mtime_ns < 0 || ctime_ns < 0) return 0;
  if (mtime_ns != (int64_t)field[3] * 1000000000 + (int64_t)field[4] || ctime_ns != (int64_t)field[5] * 1000000000 + (int64_t)field[6]) return 0;
  // mtimeSlackNs: a whole-second time may be a file system's rounding of a later one.
  int64_t slack = mtime_ns % 1000000000 == 0 ? 2000000000 : 50000000;
  return mtime_ns + slack < written_ns;
}

// unchangedRun(staging: Buffer, stagingIndex, directory: Buffer, names: Buffer, fields: Float64Array,
// from): how many listed entries from `from` on are, one after another, the staged entries from
// `stagingIndex` on at unchanged stat data (see is_unchanged). A clean status asks this once a
// directory instead of comparing each file in JavaScript.
static napi_value unchanged_run(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *staging, *directory, *names, *fields_data;
  size_t staging_length, directory_length, names_length, fields_count;
  uint32_t staging_index, from;
  napi_typedarray_type type;
  if (argc < 6 || napi_get_buffer_info(env, argv[0], &staging, &staging_length) != napi_ok || napi_get_value_uint32(env, argv[1], &staging_index) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &directory, &directory_length) != napi_ok || napi_get_buffer_info(env, argv[3], &names, &names_length) != napi_ok ||
      napi_get_typedarray_info(env, argv[4], &type, &fields_count, &fields_data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      napi_get_value_uint32(env, argv[5], &from) != napi_ok) {
    napi_throw_type_error(env, NULL, "unchangedRun(staging: Buffer, stagingIndex: number, directory: Buffer, names: Buffer, fields: Float64Array, from: number)");
    return NULL;
  }
  const unsigned char *bytes = staging;
  const double *fields = fields_data;
  size_t listed = fields_count / FIELDS, run = 0;
  if (staging_length >= STAGING_HEADER_BYTES) {
    size_t count = read_u32le(bytes + 12);
    size_t heap_start = STAGING_HEADER_BYTES + count * STAGING_ENTRY_BYTES;
    int64_t written_ns = (int64_t)read_u64le(bytes + 24);
    // The names' offsets must lie within `names`: the listing is the addon's, but a caller may mix them up.
    size_t names_end = listed == 0 ? 0 : (size_t)fields[(listed - 1) * FIELDS];
    if (heap_start <= staging_length && names_end <= names_length) {
      for (size_t index = from, entry = staging_index; index < listed && entry < count; index++, entry++, run++) {
        const unsigned char *record = bytes + STAGING_HEADER_BYTES + entry * STAGING_ENTRY_BYTES;
        if (!is_unchanged(bytes, staging_length, heap_start, written_ns, record, directory, directory_length, names, fields, index)) break;
      }
    }
  }
  napi_value result;
  napi_create_uint32(env, (uint32_t)run, &result);
  return result;
}

// listingHolds(names: Buffer, fields: Float64Array, name: string): whether a listing (in sort-key
// order) holds `name`, as a directory or as anything else: two binary searches. A walk asks this of
// every directory (a .storeignore? a .store?); in JavaScript, ~40 calls a directory made V8 compile.
static napi_value listing_holds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *names, *fields_data;
  size_t names_length, fields_count, length;
  napi_typedarray_type type;
  char name[256];
  if (argc < 3 || napi_get_buffer_info(env, argv[0], &names, &names_length) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &fields_count, &fields_data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      napi_get_value_string_latin1(env, argv[2], name, sizeof name, &length) != napi_ok || length == sizeof name - 1) {
    napi_throw_type_error(env, NULL, "listingHolds(names: Buffer, fields: Float64Array, name: string of at most 254 bytes)");
    return NULL;
  }
  const double *fields = fields_data;
  size_t count = fields_count / FIELDS;
  int found = 0;
  // The names' offsets must lie within `names` (see unchanged_run).
  if (count > 0 && (size_t)fields[(count - 1) * FIELDS] <= names_length) {
    for (int as_directory = 0; as_directory <= 1 && !found; as_directory++) {
      size_t low = 0, high = count;
      while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = compare_key(names, fields, middle, name, length, as_directory);
        if (order == 0) {
          found = 1;
          break;
        }
        if (order < 0) low = middle + 1;
        else high = middle;
      }
    }
  }
  napi_value result;
  napi_get_boolean(env, found, &result);
  return result;
}

// Whether the path bytes [path, path + length) break a rule of pathProblem (src/core/names.ts): a NUL,
// an empty name, `.` or `..`, or the repository's own directory (`.store`, ASCII letters in any case).
static int has_path_problem(const unsigned char *path, size_t length) {
  static const char repository[] = ".store";
  size_t name_start = 0;
  for (size_t at = 0; at <= length; at++) {
    unsigned char byte = at < length ? path[at] : '/';
    if (byte == 0) return 1;
    if (byte != '/') continue;
    size_t name_length = at - name_start;
    const unsigned char *name = path + name_start;
    if (name_length == 0) return 1;
    if (name_length <= 2 && name[0] == '.' && (name_length == 1 || name[1] == '.')) return 1;
    if (name_length == sizeof repository - 1) {
      size_t i = 0;
      while (i < name_length && (name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 0x20 : name[i]) == (unsigned char)repository[i]) i++;
      if (i == name_length) return 1;
    }
    name_start = at + 1;
  }
  return 0;
}

// The arguments (staging: Buffer, from: number, to: number) of a call that reads a range of a staging
// file's entries; false, with a TypeError thrown naming `usage`, when they are not that.
static int staging_range_arguments(napi_env env, napi_callback_info info, void **data, size_t *length, uint32_t *from, uint32_t *to, const char *usage) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_buffer_info(env, argv[0], data, length) != napi_ok || napi_get_value_uint32(env, argv[1], from) != napi_ok ||
      napi_get_value_uint32(env, argv[2], to) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

// checkStagingEntries(staging: Buffer, from, to): the first entry in [from, to) that breaks a rule of
// the StagingView constructor's check (src/staging/staging-format.ts: its kind, its path's place in
// the heap and length, byte order after the entry before it, the path rules, its size below 2^53),
// or -1 when none does. The constructor asks this of every entry of a staging file it opens, and
// runs its own check again only to word the error: at 500,000 entries the check in JavaScript took
// ~75 ms of every command's start.
#define MAX_PATH_BYTES 4096
static napi_value check_staging_entries(napi_env env, napi_callback_info info) {
  void *data;
  size_t length;
  uint32_t from, to;
  if (!staging_range_arguments(env, info, &data, &length, &from, &to, "checkStagingEntries(staging: Buffer, from: number, to: number)")) return NULL;
  const unsigned char *bytes = data;
  int64_t failed = -1;
  if (length < STAGING_HEADER_BYTES) failed = from;
  else {
    size_t count = read_u32le(bytes + 12), heap_bytes = read_u32le(bytes + 16);
    size_t heap_start = STAGING_HEADER_BYTES + count * STAGING_ENTRY_BYTES;
    if (to > count || heap_start + heap_bytes > length) failed = from;
    const unsigned char *previous = NULL;
    size_t previous_length = 0;
    for (size_t index = from; failed < 0 && index < to; index++) {
      const unsigned char *record = bytes + STAGING_HEADER_BYTES + index * STAGING_ENTRY_BYTES;
      size_t path_offset = read_u32le(record + 80), path_length = read_u32le(record + 84);
      int bad = (record[0] < 1 || record[0] > 3) || path_offset + path_length > heap_bytes || path_length > MAX_PATH_BYTES ||
                read_u32le(record + 12) >= (1u << 21);
      const unsigned char *path = bytes + heap_start + path_offset;
      if (!bad && index > 0) {
        if (previous == NULL) {
          // The entry before `from`, whose place this call did not check: one outside the heap is
          // its own failure, reported by the call that checks it.
          const unsigned char *before = record - STAGING_ENTRY_BYTES;
          size_t before_offset = read_u32le(before + 80), before_length = read_u32le(before + 84);
          if (before_offset + before_length <= heap_bytes) {
            previous = bytes + heap_start + before_offset;
            previous_length = before_length;
          }
        }
        if (previous != NULL) {
          size_t common = previous_length < path_length ? previous_length : path_length;
          int order = memcmp(previous, path, common);
          if (order > 0 || (order == 0 && previous_length >= path_length)) bad = 1;
        }
      }
      if (!bad && has_path_problem(path, path_length)) bad = 1;
      if (bad) failed = (int64_t)index;
      previous = path;
      previous_length = path_length;
    }
  }
  napi_value result;
  napi_create_int64(env, failed, &result);
  return result;
}

// The staging file's entries [from, to) of a buffer holding it, checked to lie within it: the heap's
// start, or 0 when the range or the header does not fit (the StagingView checked the entries already).
static size_t staging_heap_start(const unsigned char *bytes, size_t length, size_t from, size_t to) {
  if (length < STAGING_HEADER_BYTES) return 0;
  size_t count = read_u32le(bytes + 12), heap_bytes = read_u32le(bytes + 16);
  size_t heap_start = STAGING_HEADER_BYTES + count * STAGING_ENTRY_BYTES;
  if (from > to || to > count || heap_start + heap_bytes > length) return 0;
  return heap_start;
}

// fingerprintBytesInto(staging: Buffer, from, to, target: Buffer, next: Uint32Array): what a
// directory's fingerprint covers of entries [from, to) (StagingView.fingerprintBytes: kind, size, file
// id, path length and path of each, end to end), as many whole entries as fit in `target`. Returns the
// bytes written and sets next[0] to the first entry not written. In JavaScript the copy ran byte by
// byte, mostly uncompiled in a short command: ~4 ms of a commit of 2,300 entries.
static napi_value fingerprint_bytes_into(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *staging, *target, *next_data;
  size_t staging_length, target_length, next_count;
  uint32_t from, to;
  napi_typedarray_type type;
  if (argc < 5 || napi_get_buffer_info(env, argv[0], &staging, &staging_length) != napi_ok || napi_get_value_uint32(env, argv[1], &from) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &to) != napi_ok || napi_get_buffer_info(env, argv[3], &target, &target_length) != napi_ok ||
      napi_get_typedarray_info(env, argv[4], &type, &next_count, &next_data, NULL, NULL) != napi_ok || type != napi_uint32_array || next_count < 1) {
    napi_throw_type_error(env, NULL, "fingerprintBytesInto(staging: Buffer, from: number, to: number, target: Buffer, next: Uint32Array)");
    return NULL;
  }
  const unsigned char *bytes = staging;
  unsigned char *out = target;
  size_t heap_start = staging_heap_start(bytes, staging_length, from, to);
  if (heap_start == 0) {
    napi_throw_range_error(env, NULL, "fingerprintBytesInto: entries outside the staging file");
    return NULL;
  }
  size_t heap_end = heap_start + read_u32le(bytes + 16), used = 0, index = from;
  for (; index < to; index++) {
    const unsigned char *record = bytes + STAGING_HEADER_BYTES + index * STAGING_ENTRY_BYTES;
    size_t path_offset = read_u32le(record + 80), path_length = read_u32le(record + 84);
    if (heap_start + path_offset + path_length > heap_end) {
      napi_throw_range_error(env, NULL, "fingerprintBytesInto: a path outside the staging file's heap");
      return NULL;
    }
    if (used + 45 + path_length > target_length) break;
    out[used] = record[0];
    memcpy(out + used + 1, record + 8, 8);
    memcpy(out + used + 9, record + 48, 32);
    memcpy(out + used + 41, record + 84, 4);
    memcpy(out + used + 45, bytes + heap_start + path_offset, path_length);
    used += 45 + path_length;
  }
  ((uint32_t *)next_data)[0] = (uint32_t)index;
  napi_value result;
  napi_create_uint32(env, (uint32_t)used, &result);
  return result;
}

// directoryRuns(staging: Buffer, from, to): where the entries [from, to) change directory, as pairs of
// numbers in a Uint32Array: the first entry of a run in one directory, and the length in bytes of that
// directory's path (its bytes before the last '/', 0 at the top). A commit asks this once for the
// directories whose times and modes it records; in JavaScript, each path was scanned byte by byte.
static napi_value directory_runs(napi_env env, napi_callback_info info) {
  void *staging;
  size_t staging_length;
  uint32_t from, to;
  if (!staging_range_arguments(env, info, &staging, &staging_length, &from, &to, "directoryRuns(staging: Buffer, from: number, to: number)")) return NULL;
  const unsigned char *bytes = staging;
  size_t heap_start = staging_heap_start(bytes, staging_length, from, to);
  if (heap_start == 0) {
    napi_throw_range_error(env, NULL, "directoryRuns: entries outside the staging file");
    return NULL;
  }
  size_t heap_end = heap_start + read_u32le(bytes + 16);
  // Two numbers for each run, at most one run an entry.
  uint32_t *runs = malloc(((size_t)(to - from) * 2 + 1) * sizeof(uint32_t));
  if (runs == NULL) return throw_errno(env, ENOMEM, "malloc");
  size_t count = 0;
  const unsigned char *previous = NULL;
  size_t previous_length = 0;
  for (size_t index = from; index < to; index++) {
    const unsigned char *record = bytes + STAGING_HEADER_BYTES + index * STAGING_ENTRY_BYTES;
    size_t path_offset = read_u32le(record + 80), path_length = read_u32le(record + 84);
    if (heap_start + path_offset + path_length > heap_end) {
      free(runs);
      napi_throw_range_error(env, NULL, "directoryRuns: a path outside the staging file's heap");
      return NULL;
    }
    const unsigned char *path = bytes + heap_start + path_offset;
    size_t length = path_length;
    while (length > 0 && path[length - 1] != '/') length--;
    if (length > 0) length--; // the '/' itself
    if (previous == NULL || length != previous_length || memcmp(path, previous, length) != 0) {
      runs[count++] = (uint32_t)index;
      runs[count++] = (uint32_t)length;
    }
    previous = path;
    previous_length = length;
  }
  napi_value buffer, result;
  void *data;
  napi_create_arraybuffer(env, count * sizeof(uint32_t), &data, &buffer);
  if (count > 0) memcpy(data, runs, count * sizeof(uint32_t));
  free(runs);
  napi_create_typedarray(env, napi_uint32_array, count, buffer, 0, &result);
  return result;
}

// uncountMappedBytes(bytes: Buffer): V8 counts the bytes behind every ArrayBuffer as memory its
// collector could win back, and past 64 MB of them it starts a major collection (concurrent marking, on
// every core). A file's mapping is the page cache's, in use as long as its view is: the staging area of
// 500,000 files (53 MB) and the directory cache took a clean status there past it, to a Mark-Compact
// in a quarter of the runs (16 ms of the main thread, marking threads on the cores the listing threads
// needed). So the mapping's bytes are taken off V8's count while its ArrayBuffer lives, and put back
// when it is collected (V8 takes them off again then): the count ends where it began.
static void mapped_bytes_collected(napi_env env, void *data, void *hint) {
  (void)data;
  int64_t ignored;
  napi_adjust_external_memory(env, (int64_t)(uintptr_t)hint, &ignored);
}

static napi_value uncount_mapped_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], array_buffer;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_typed_array = false;
  if (argc == 1) napi_is_typedarray(env, argv[0], &is_typed_array);
  size_t byte_length, offset;
  void *data;
  napi_typedarray_type type;
  if (!is_typed_array || napi_get_typedarray_info(env, argv[0], &type, &byte_length, &data, &array_buffer, &offset) != napi_ok ||
      napi_get_arraybuffer_info(env, array_buffer, &data, &byte_length) != napi_ok) {
    napi_throw_type_error(env, NULL, "uncountMappedBytes(bytes: Buffer)");
    return NULL;
  }
  if (byte_length == 0) return NULL;
  // The finalizer first: a count taken off and never put back would hide other memory from V8 later.
  if (napi_add_finalizer(env, array_buffer, NULL, mapped_bytes_collected, (void *)(uintptr_t)byte_length, NULL) != napi_ok) return NULL;
  int64_t ignored;
  napi_adjust_external_memory(env, -(int64_t)byte_length, &ignored);
  return NULL;
}

// externalMemoryCount(): V8's count of external memory, the one that starts collections (Node's
// process.memoryUsage().external is another: every ArrayBuffer's bytes, whatever V8 was told).
static napi_value external_memory_count(napi_env env, napi_callback_info info) {
  (void)info;
  int64_t count;
  napi_value result;
  napi_adjust_external_memory(env, 0, &count);
  napi_create_double(env, (double)count, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setTimesNs", NAPI_AUTO_LENGTH, set_times_ns, NULL, &fn);
  napi_set_named_property(env, exports, "setTimesNs", fn);
  napi_create_function(env, "setFileTimesNs", NAPI_AUTO_LENGTH, set_file_times_ns, NULL, &fn);
  napi_set_named_property(env, exports, "setFileTimesNs", fn);
  napi_create_function(env, "listDirectory", NAPI_AUTO_LENGTH, list_directory, NULL, &fn);
  napi_set_named_property(env, exports, "listDirectory", fn);
  napi_create_function(env, "startListing", NAPI_AUTO_LENGTH, start_listing, NULL, &fn);
  napi_set_named_property(env, exports, "startListing", fn);
  napi_create_function(env, "finishListing", NAPI_AUTO_LENGTH, finish_listing, NULL, &fn);
  napi_set_named_property(env, exports, "finishListing", fn);
  napi_create_function(env, "releaseListing", NAPI_AUTO_LENGTH, release_listing, NULL, &fn);
  napi_set_named_property(env, exports, "releaseListing", fn);
  napi_create_function(env, "listingHolds", NAPI_AUTO_LENGTH, listing_holds, NULL, &fn);
  napi_set_named_property(env, exports, "listingHolds", fn);
  napi_create_function(env, "unchangedRun", NAPI_AUTO_LENGTH, unchanged_run, NULL, &fn);
  napi_set_named_property(env, exports, "unchangedRun", fn);
  napi_create_function(env, "checkStagingEntries", NAPI_AUTO_LENGTH, check_staging_entries, NULL, &fn);
  napi_set_named_property(env, exports, "checkStagingEntries", fn);
  napi_create_function(env, "fingerprintBytesInto", NAPI_AUTO_LENGTH, fingerprint_bytes_into, NULL, &fn);
  napi_set_named_property(env, exports, "fingerprintBytesInto", fn);
  napi_create_function(env, "directoryRuns", NAPI_AUTO_LENGTH, directory_runs, NULL, &fn);
  napi_set_named_property(env, exports, "directoryRuns", fn);
  napi_create_function(env, "uncountMappedBytes", NAPI_AUTO_LENGTH, uncount_mapped_bytes, NULL, &fn);
  napi_set_named_property(env, exports, "uncountMappedBytes", fn);
  napi_create_function(env, "externalMemoryCount", NAPI_AUTO_LENGTH, external_memory_count, NULL, &fn);
  napi_set_named_property(env, exports, "externalMemoryCount", fn);
  return exports;
}
