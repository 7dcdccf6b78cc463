/* ONNX operators of the reduce family: import functions and their table. */
#include "import.h"

const trn_onnx_op_table_t trn_onnx_reduce_ops = {NULL, 0};
