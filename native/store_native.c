// setTimesNs(path: Buffer, atimeNs: bigint, mtimeNs: bigint, followSymlinks: boolean): utimensat(2)
// with nanosecond times. Throws an Error with `errno` (a positive errno number) and `syscall`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int error, const char *path) {
  napi_value message, err, number, syscall;
  napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &err);
  napi_create_int32(env, error, &number);
  napi_set_named_property(env, err, "errno", number);
  napi_create_string_utf8(env, "utimensat", NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, err, "syscall", syscall);
  napi_throw(env, err);
  (void)path;
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
  if (path == NULL) return throw_errno(env, ENOMEM, "");
  memcpy(path, data, length);
  path[length] = '\0';
  int result = utimensat(AT_FDCWD, path, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  int error = errno;
  free(path);
  if (result != 0) return throw_errno(env, error, "");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setTimesNs", NAPI_AUTO_LENGTH, set_times_ns, NULL, &fn);
  napi_set_named_property(env, exports, "setTimesNs", fn);
  return exports;
}
