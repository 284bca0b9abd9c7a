// setTimesNs(path: Buffer, atimeNs: bigint, mtimeNs: bigint, followSymlinks: boolean): utimensat(2)
// with nanosecond times.
// listDirectory(path: Buffer): { names: Buffer, fields: Float64Array }: a directory's names (as bytes,
// end to end) and each one's lstat, FIELDS numbers per name (see below), read with fstatat(2) against
// the open directory: one call per directory instead of a call and a path walk per file.
// Both throw an Error with `errno` (a positive errno number) and `syscall`.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static napi_value list_directory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data;
  size_t length;
  if (argc < 1 || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "listDirectory(path: Buffer)");
    return NULL;
  }
  char *path = malloc(length + 1);
  if (path == NULL) return throw_errno(env, ENOMEM, "opendir");
  memcpy(path, data, length);
  path[length] = '\0';
  DIR *dir = opendir(path);
  int error = errno;
  free(path);
  if (dir == NULL) return throw_errno(env, error, "opendir");
  size_t names_capacity = 4096, names_used = 0, count = 0, fields_capacity = 64 * FIELDS;
  char *names = malloc(names_capacity);
  double *fields = malloc(fields_capacity * sizeof(double));
  if (names == NULL || fields == NULL) {
    free(names);
    free(fields);
    closedir(dir);
    return throw_errno(env, ENOMEM, "readdir");
  }
  int fd = dirfd(dir);
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(dir);
    if (entry == NULL) {
      error = errno;
      break;
    }
    const char *name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    size_t name_length = strlen(name);
    if (names_used + name_length > names_capacity || (count + 1) * FIELDS > fields_capacity) {
      size_t new_names = names_capacity * 2 + name_length, new_fields = fields_capacity * 2;
      char *grown_names = realloc(names, new_names);
      if (grown_names != NULL) names = grown_names;
      double *grown_fields = realloc(fields, new_fields * sizeof(double));
      if (grown_fields != NULL) fields = grown_fields;
      if (grown_names == NULL || grown_fields == NULL) {
        error = ENOMEM;
        break;
      }
      names_capacity = new_names;
      fields_capacity = new_fields;
    }
    memcpy(names + names_used, name, name_length);
    names_used += name_length;
    double *out = fields + count * FIELDS;
    memset(out, 0, FIELDS * sizeof(double));
    out[0] = (double)names_used;
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) out[9] = (double)errno;
    else {
      out[1] = (double)st.st_mode;
      out[2] = (double)st.st_size;
      out[3] = (double)st.st_mtim.tv_sec;
      out[4] = (double)st.st_mtim.tv_nsec;
      out[5] = (double)st.st_ctim.tv_sec;
      out[6] = (double)st.st_ctim.tv_nsec;
      out[7] = (double)st.st_ino;
      out[8] = (double)st.st_dev;
    }
    count++;
  }
  closedir(dir);
  if (error != 0) {
    free(names);
    free(fields);
    return throw_errno(env, error, "readdir");
  }
  napi_value result, names_buffer, array_buffer, fields_array;
  void *copy;
  napi_create_buffer_copy(env, names_used, names, NULL, &names_buffer);
  napi_create_arraybuffer(env, count * FIELDS * sizeof(double), &copy, &array_buffer);
  if (count > 0) memcpy(copy, fields, count * FIELDS * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, count * FIELDS, array_buffer, 0, &fields_array);
  free(names);
  free(fields);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "names", names_buffer);
  napi_set_named_property(env, result, "fields", fields_array);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setTimesNs", NAPI_AUTO_LENGTH, set_times_ns, NULL, &fn);
  napi_set_named_property(env, exports, "setTimesNs", fn);
  napi_create_function(env, "listDirectory", NAPI_AUTO_LENGTH, list_directory, NULL, &fn);
  napi_set_named_property(env, exports, "listDirectory", fn);
  return exports;
}
