/* Output files of the runtime (.neff, .npy, timelines): see internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

trn_status_t trn_rt_outfile_open(const char *path, trn_rt_outfile_t *out) {
  memset(out, 0, sizeof *out);
  out->path = path;
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return trn_status_make(TRN_ERR_IO, "%s: cannot write: is a directory", path);
    /* A device, FIFO or socket: written in place, never renamed over. */
    out->file = fopen(path, "wb");
    if (!out->file) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
  out->tmp = malloc(n);
  if (!out->tmp) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  snprintf(out->tmp, n, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(out->tmp);
  if (fd < 0) {
    trn_status_t s = trn_status_make(TRN_ERR_IO, "%s: cannot create a temporary file: %s", path,
                                     strerror(errno));
    free(out->tmp);
    out->tmp = NULL;
    return s;
  }
  fchmod(fd, 0644); /* mkstemp makes 0600; outputs are ordinary files */
  out->file = fdopen(fd, "wb");
  if (!out->file) {
    trn_status_t s = trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    close(fd);
    unlink(out->tmp);
    free(out->tmp);
    out->tmp = NULL;
    return s;
  }
  return NULL;
}

trn_status_t trn_rt_outfile_close(trn_rt_outfile_t *out, bool ok) {
  if (!out->file) return NULL;
  trn_status_t s = NULL;
  bool bad = ferror(out->file) != 0 || fflush(out->file) != 0;
  int err = errno;
  if (!bad && out->tmp && fsync(fileno(out->file)) != 0) {
    bad = true;
    err = errno;
  }
  if (fclose(out->file) != 0 && !bad) {
    bad = true;
    err = errno;
  }
  out->file = NULL;
  if (bad && ok) s = trn_status_make(TRN_ERR_IO, "%s: write failed: %s", out->path, strerror(err));
  if (out->tmp) {
    if (ok && !bad && rename(out->tmp, out->path) != 0)
      s = trn_status_make(TRN_ERR_IO, "%s: cannot rename the temporary file into place: %s",
                          out->path, strerror(errno));
    if (s || !ok || bad) unlink(out->tmp);
    free(out->tmp);
    out->tmp = NULL;
  }
  return s;
}
