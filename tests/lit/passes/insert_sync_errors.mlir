// trn-insert-sync runs once: it refuses instructions that already carry semaphores.
// RUN: not trn-opt %s --trn-insert-sync 2>&1 | FileCheck %s

// CHECK: error: trn: instruction already has semaphores: trn-insert-sync runs once
func.func @main() {
  "trn_isa.nop"() {stream = 0 : i64, wait = array<i64: 4, 1>} : () -> ()
  return
}
