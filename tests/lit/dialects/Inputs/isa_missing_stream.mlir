func.func @bad() {
  "trn_isa.matmul"() {flags = ["acc"]} : () -> ()
  return
}
