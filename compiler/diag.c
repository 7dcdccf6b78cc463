/* Collecting MLIR diagnostics into the status of the failing call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "trn/passes.h"
#include "mlir-c/Diagnostics.h"

struct trn_diag_buffer_t {
  char *text;
  size_t length, capacity;
  size_t errors;
  bool oom;
};

trn_diag_buffer_t *trn_diag_buffer_create(void) { return calloc(1, sizeof(trn_diag_buffer_t)); }

void trn_diag_buffer_destroy(trn_diag_buffer_t *buffer) {
  if (!buffer) return;
  free(buffer->text);
  free(buffer);
}

void trn_diag_buffer_clear(trn_diag_buffer_t *buffer) {
  buffer->length = 0;
  buffer->errors = 0;
  buffer->oom = false;
  if (buffer->text) buffer->text[0] = '\0';
}

bool trn_diag_buffer_has_errors(const trn_diag_buffer_t *buffer) { return buffer->errors > 0; }

const char *trn_diag_buffer_text(const trn_diag_buffer_t *buffer) {
  return buffer->text ? buffer->text : "";
}

static void buffer_append(trn_diag_buffer_t *b, const char *data, size_t n) {
  if (b->oom) return;
  if (b->length + n + 1 > b->capacity) {
    size_t cap = b->capacity ? b->capacity : 256;
    while (cap < b->length + n + 1) cap *= 2;
    char *text = realloc(b->text, cap);
    if (!text) {
      b->oom = true;
      return;
    }
    b->text = text;
    b->capacity = cap;
  }
  memcpy(b->text + b->length, data, n);
  b->length += n;
  b->text[b->length] = '\0';
}

/* A growable string for MLIR print callbacks. */
typedef struct string_sink_t {
  char buf[8192]; /* a report (trn_ir_report_t) carries its notes in the message */
  size_t length;
  bool truncated;
} string_sink_t;

static void sink_append(MlirStringRef s, void *user) {
  string_sink_t *sink = user;
  size_t room = sizeof sink->buf - 1 - sink->length;
  size_t n = s.length < room ? s.length : room;
  if (n < s.length) sink->truncated = true;
  memcpy(sink->buf + sink->length, s.data, n);
  sink->length += n;
  sink->buf[sink->length] = '\0';
}

int trn_diag_format_location(MlirLocation loc, char *buf, size_t size) {
  trn_location_parts_t l;
  trn_passes_location_parts(loc, &l);
  /* loc("name"("file":L:C)) from the importer, loc("file":L:C) from the parser. */
  if (!l.fused && l.name[0] && l.child && l.file[0])
    return l.line == 0 ? snprintf(buf, size, "%s: node '%s'", l.file, l.name)
                       : snprintf(buf, size, "%s:%u:%u: node '%s'", l.file, l.line, l.col, l.name);
  if (!l.fused && l.file[0] && !l.name[0]) /* line 0: the whole file (module, function) */
    return l.line == 0 ? snprintf(buf, size, "%s", l.file)
                       : snprintf(buf, size, "%s:%u:%u", l.file, l.line, l.col);
  if (!l.fused && l.name[0] && !l.child) return snprintf(buf, size, "node '%s'", l.name);
  if (strcmp(l.text, "loc(unknown)") == 0) return snprintf(buf, size, "<unknown>");
  return snprintf(buf, size, "%s", l.text);
}

static const char *severity_name(MlirDiagnosticSeverity s) {
  switch (s) {
    case MlirDiagnosticError: return "error";
    case MlirDiagnosticWarning: return "warning";
    case MlirDiagnosticNote: return "note";
    case MlirDiagnosticRemark: return "remark";
  }
  return "diagnostic";
}

/* Appends "<location>: <severity>: <message>" to the buffer or to stderr. */
static void emit_one(trn_diag_buffer_t *b, MlirDiagnostic d, bool to_buffer, int depth) {
  char where[1100];
  trn_diag_format_location(mlirDiagnosticGetLocation(d), where, sizeof where);
  string_sink_t msg = {.length = 0};
  mlirDiagnosticPrint(d, sink_append, &msg);
  char head[1200];
  int n = snprintf(head, sizeof head, "%s%s: %s: ", depth ? "  " : "", where,
                   severity_name(mlirDiagnosticGetSeverity(d)));
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof head) n = sizeof head - 1;
  if (to_buffer) {
    if (b->length > 0) buffer_append(b, "\n", 1);
    buffer_append(b, head, (size_t)n);
    buffer_append(b, msg.buf, msg.length);
    if (msg.truncated) buffer_append(b, "...", 3);
  } else {
    fprintf(stderr, "%s%s%s\n", head, msg.buf, msg.truncated ? "..." : "");
  }
  intptr_t notes = mlirDiagnosticGetNumNotes(d);
  for (intptr_t i = 0; i < notes; i++) emit_one(b, mlirDiagnosticGetNote(d, i), to_buffer, depth + 1);
}

static MlirLogicalResult handle_diagnostic(MlirDiagnostic d, void *user) {
  trn_diag_buffer_t *b = user;
  bool is_error = mlirDiagnosticGetSeverity(d) == MlirDiagnosticError;
  emit_one(b, d, is_error, 0);
  if (is_error) b->errors++;
  return mlirLogicalResultSuccess();
}

void trn_diag_buffer_attach(trn_diag_buffer_t *buffer, MlirContext ctx) {
  mlirContextAttachDiagnosticHandler(ctx, handle_diagnostic, buffer, NULL);
}
