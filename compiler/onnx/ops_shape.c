/* ONNX operators of the shape family: import functions and their table. */
#include "import.h"

const trn_onnx_op_table_t trn_onnx_shape_ops = {NULL, 0};
