/* trn-isa-doc: prints the generated tables of isa/ISA.md.
 *   trn-isa-doc            tables only
 *   trn-isa-doc --markers  tables between the BEGIN/END markers, as in ISA.md */
#include <stdio.h>
#include <string.h>

#include "isa_doc.h"

int main(int argc, char **argv) {
  int markers = argc > 1 && strcmp(argv[1], "--markers") == 0;
  if (argc > 1 && !markers) {
    fprintf(stderr, "usage: trn-isa-doc [--markers]\n");
    return 2;
  }
  if (markers) fputs(TRN_ISA_DOC_BEGIN, stdout);
  trn_isa_doc_write(stdout);
  if (markers) fputs(TRN_ISA_DOC_END, stdout);
  return ferror(stdout) ? 1 : 0;
}
