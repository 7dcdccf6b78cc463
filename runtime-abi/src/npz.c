/* .npz reader: the ZIP central directory, then each member's .npy image. See npz.h. */
#include "npz.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TRN_HAVE_ZLIB
#include <zlib.h>
#endif

enum {
  ZIP_EOCD_SIG = 0x06054b50,
  ZIP64_EOCD_SIG = 0x06064b50,
  ZIP64_LOCATOR_SIG = 0x07064b50,
  ZIP_CENTRAL_SIG = 0x02014b50,
  ZIP_LOCAL_SIG = 0x04034b50,
  ZIP_EOCD_SIZE = 22,
  ZIP_CENTRAL_SIZE = 46,
  ZIP_LOCAL_SIZE = 30,
  ZIP_METHOD_STORED = 0,
  ZIP_METHOD_DEFLATE = 8,
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* CRC-32 (ZIP, reflected 0xEDB88320), bitwise: members are small next to the work
 * done on them. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

bool trn_npz_has_deflate(void) {
#ifdef TRN_HAVE_ZLIB
  return true;
#else
  return false;
#endif
}

void trn_npz_free(trn_npz_t *npz) {
  if (!npz) return;
  for (size_t i = 0; i < npz->count; i++) {
    free(npz->members[i].name);
    trn_npy_free(&npz->members[i].array);
  }
  free(npz->members);
  memset(npz, 0, sizeof *npz);
}

const trn_npz_member_t *trn_npz_find(const trn_npz_t *npz, const char *name) {
  for (size_t i = 0; i < npz->count; i++)
    if (strcmp(npz->members[i].name, name) == 0) return &npz->members[i];
  return NULL;
}

/* Finds the end of central directory record (it may be followed by a comment). */
static trn_status_t find_directory(const uint8_t *b, size_t size, const char *name,
                                   uint64_t *out_entries, uint64_t *out_offset,
                                   uint64_t *out_dir_size) {
  if (size < ZIP_EOCD_SIZE)
    return trn_status_make(TRN_ERR_FORMAT, "%s: not an .npz (ZIP) file: %zu bytes", name, size);
  size_t lowest = size > ZIP_EOCD_SIZE + 0xFFFFu ? size - ZIP_EOCD_SIZE - 0xFFFFu : 0;
  size_t at = size - ZIP_EOCD_SIZE;
  for (;; at--) {
    if (rd32(b + at) == ZIP_EOCD_SIG && at + ZIP_EOCD_SIZE + rd16(b + at + 20) == size) break;
    if (at == lowest)
      return trn_status_make(TRN_ERR_FORMAT,
                             "%s: not an .npz (ZIP) file: no end of central directory record",
                             name);
  }
  const uint8_t *e = b + at;
  if (rd16(e + 4) != 0 || rd16(e + 6) != 0)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: multi-disk ZIP archives are not supported",
                           name);
  uint64_t entries = rd16(e + 10), dir_size = rd32(e + 12), offset = rd32(e + 16);
  if (entries == 0xFFFF || dir_size == 0xFFFFFFFFu || offset == 0xFFFFFFFFu) {
    /* ZIP64: a locator right before the record points to the ZIP64 record. */
    if (at < 20 || rd32(e - 20) != ZIP64_LOCATOR_SIG)
      return trn_status_make(TRN_ERR_FORMAT, "%s: ZIP64 end of central directory locator missing",
                             name);
    uint64_t z = rd64(e - 20 + 8);
    if (z > size || size - z < 56 || rd32(b + z) != ZIP64_EOCD_SIG)
      return trn_status_make(TRN_ERR_FORMAT,
                             "%s: ZIP64 end of central directory record at offset %llu is invalid",
                             name, (unsigned long long)z);
    entries = rd64(b + z + 32);
    dir_size = rd64(b + z + 40);
    offset = rd64(b + z + 48);
  }
  if (offset > size || dir_size > size - offset)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: central directory (offset %llu, %llu bytes) is outside the file",
                           name, (unsigned long long)offset, (unsigned long long)dir_size);
  *out_entries = entries;
  *out_offset = offset;
  *out_dir_size = dir_size;
  return NULL;
}

/* Reads ZIP64 extended information (extra field id 1) for the fields saturated at
 * 0xFFFFFFFF, in the order the format fixes. */
static trn_status_t read_zip64_extra(const uint8_t *x, size_t n, const char *name,
                                     const char *member, uint64_t *usize, uint64_t *csize,
                                     uint64_t *offset) {
  uint64_t *fields[3] = {usize, csize, offset};
  while (n >= 4) {
    uint16_t id = rd16(x), len = rd16(x + 2);
    if ((size_t)len + 4 > n) break;
    if (id == 1) {
      size_t k = 0;
      for (int f = 0; f < 3; f++) {
        if (!fields[f] || *fields[f] != 0xFFFFFFFFu) continue;
        if (k + 8 > len)
          return trn_status_make(TRN_ERR_FORMAT, "%s: member '%s': truncated ZIP64 extra field",
                                 name, member);
        *fields[f] = rd64(x + 4 + k);
        k += 8;
      }
      return NULL;
    }
    x += 4 + (size_t)len;
    n -= 4 + (size_t)len;
  }
  return NULL;
}

/* Inflates a raw DEFLATE stream of `csize` bytes into exactly `usize` bytes. */
static trn_status_t inflate_member(const uint8_t *src, uint64_t csize, uint8_t *dst,
                                   uint64_t usize, const char *name, const char *member) {
#ifdef TRN_HAVE_ZLIB
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: member '%s': cannot start zlib", name,
                           member);
  uint64_t in_done = 0, out_done = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    uInt in_chunk = (uInt)(csize - in_done > 0x40000000u ? 0x40000000u : csize - in_done);
    uInt out_chunk = (uInt)(usize - out_done > 0x40000000u ? 0x40000000u : usize - out_done);
    zs.next_in = (Bytef *)(uintptr_t)(src + in_done);
    zs.avail_in = in_chunk;
    zs.next_out = dst + out_done;
    zs.avail_out = out_chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    in_done += in_chunk - zs.avail_in;
    out_done += out_chunk - zs.avail_out;
    if (rc == Z_OK && in_chunk == zs.avail_in && out_chunk == zs.avail_out) rc = Z_BUF_ERROR;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || out_done != usize)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: member '%s': corrupt deflate data (%llu of %llu bytes inflated)",
                           name, member, (unsigned long long)out_done,
                           (unsigned long long)usize);
  return NULL;
#else
  (void)src;
  (void)csize;
  (void)dst;
  (void)usize;
  return trn_status_make(TRN_ERR_UNSUPPORTED,
                         "%s: member '%s' is deflate-compressed (numpy.savez_compressed) and this "
                         "runtime was built without zlib: save it with numpy.savez instead",
                         name, member);
#endif
}

static trn_status_t read_member(const uint8_t *b, size_t size, const char *name,
                                const uint8_t *c, trn_npz_member_t *m) {
  uint16_t flags = rd16(c + 8), method = rd16(c + 10);
  uint32_t crc = rd32(c + 16);
  uint64_t csize = rd32(c + 20), usize = rd32(c + 24), local = rd32(c + 42);
  uint16_t name_len = rd16(c + 28), extra_len = rd16(c + 30);
  const char *member = m->name;
  if (flags & 1)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: member '%s' is encrypted", name, member);
  TRN_RETURN_IF_ERROR(read_zip64_extra(c + ZIP_CENTRAL_SIZE + name_len, extra_len, name, member,
                                       &usize, &csize, &local));
  if (method != ZIP_METHOD_STORED && method != ZIP_METHOD_DEFLATE)
    return trn_status_make(TRN_ERR_UNSUPPORTED,
                           "%s: member '%s' uses ZIP compression method %u (only stored and "
                           "deflate are supported)",
                           name, member, method);
  if (local > size || size - local < ZIP_LOCAL_SIZE || rd32(b + local) != ZIP_LOCAL_SIG)
    return trn_status_make(TRN_ERR_FORMAT, "%s: member '%s': no local header at offset %llu", name,
                           member, (unsigned long long)local);
  uint64_t data = local + ZIP_LOCAL_SIZE + rd16(b + local + 26) + rd16(b + local + 28);
  if (data > size || csize > size - data)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: member '%s': %llu bytes of data at offset %llu pass the end of "
                           "the file",
                           name, member, (unsigned long long)csize, (unsigned long long)data);
  if (method == ZIP_METHOD_STORED && csize != usize)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: member '%s': stored with %llu bytes but %llu uncompressed", name,
                           member, (unsigned long long)csize, (unsigned long long)usize);
  /* A deflate stream expands at most ~1032:1: bound the allocation by the input. */
  if (method == ZIP_METHOD_DEFLATE && usize / 1032 > csize + 1)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: member '%s': %llu compressed bytes cannot inflate to %llu", name,
                           member, (unsigned long long)csize, (unsigned long long)usize);
  const uint8_t *img = b + data;
  uint8_t *owned = NULL;
  if (method == ZIP_METHOD_DEFLATE) {
    owned = malloc(usize ? usize : 1);
    if (!owned)
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: member '%s': %llu bytes", name, member,
                             (unsigned long long)usize);
    trn_status_t st = inflate_member(img, csize, owned, usize, name, member);
    if (st) {
      free(owned);
      return st;
    }
    img = owned;
  }
  trn_status_t st = NULL;
  uint32_t got = crc32_update(0, img, usize);
  if (got != crc)
    st = trn_status_make(TRN_ERR_FORMAT, "%s: member '%s': CRC-32 %08x, the directory says %08x",
                         name, member, got, crc);
  if (!st) {
    char what[1024];
    snprintf(what, sizeof what, "%s: member '%s'", name, member);
    st = trn_npy_parse(img, usize, what, &m->array);
  }
  free(owned);
  return st;
}

trn_status_t trn_npz_parse(const void *buf, size_t size, const char *name, trn_npz_t *out) {
  memset(out, 0, sizeof *out);
  const uint8_t *b = buf;
  uint64_t entries = 0, offset = 0, dir_size = 0;
  TRN_RETURN_IF_ERROR(find_directory(b, size, name, &entries, &offset, &dir_size));
  if (entries > dir_size / ZIP_CENTRAL_SIZE)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: %llu entries cannot fit a central directory of %llu bytes", name,
                           (unsigned long long)entries, (unsigned long long)dir_size);
  out->members = calloc(entries ? entries : 1, sizeof *out->members);
  if (!out->members) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: directory", name);
  const uint8_t *c = b + offset, *end = b + offset + dir_size;
  trn_status_t st = NULL;
  for (uint64_t i = 0; i < entries && !st; i++) {
    if (end - c < ZIP_CENTRAL_SIZE || rd32(c) != ZIP_CENTRAL_SIG) {
      st = trn_status_make(TRN_ERR_FORMAT, "%s: central directory entry %llu is corrupt", name,
                           (unsigned long long)i);
      break;
    }
    size_t name_len = rd16(c + 28), extra_len = rd16(c + 30), comment_len = rd16(c + 32);
    if ((size_t)(end - c) < ZIP_CENTRAL_SIZE + name_len + extra_len + comment_len) {
      st = trn_status_make(TRN_ERR_FORMAT, "%s: central directory entry %llu is truncated", name,
                           (unsigned long long)i);
      break;
    }
    const char *fname = (const char *)c + ZIP_CENTRAL_SIZE;
    size_t base_len = name_len;
    if (base_len >= 4 && memcmp(fname + base_len - 4, ".npy", 4) == 0) base_len -= 4;
    if (name_len > 0 && fname[name_len - 1] == '/') { /* a folder entry */
      c += ZIP_CENTRAL_SIZE + name_len + extra_len + comment_len;
      continue;
    }
    trn_npz_member_t *m = &out->members[out->count];
    m->name = malloc(base_len + 1);
    if (!m->name) {
      st = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: member names", name);
      break;
    }
    memcpy(m->name, fname, base_len);
    m->name[base_len] = '\0';
    out->count++;
    if (strlen(m->name) != base_len) {
      st = trn_status_make(TRN_ERR_FORMAT, "%s: member %llu has a NUL byte in its name", name,
                           (unsigned long long)i);
      break;
    }
    for (size_t k = 0; k + 1 < out->count && !st; k++)
      if (strcmp(out->members[k].name, m->name) == 0)
        st = trn_status_make(TRN_ERR_FORMAT, "%s: two members are named '%s'", name, m->name);
    if (!st) st = read_member(b, size, name, c, m);
    c += ZIP_CENTRAL_SIZE + name_len + extra_len + comment_len;
  }
  if (st) trn_npz_free(out);
  return st;
}

trn_status_t trn_npz_read_file(const char *path, trn_npz_t *out) {
  memset(out, 0, sizeof *out);
  uint8_t *buf;
  size_t n;
  TRN_RETURN_IF_ERROR(trn_npy_read_all(path, &buf, &n));
  trn_status_t st = trn_npz_parse(buf, n, path, out);
  free(buf);
  return st;
}
