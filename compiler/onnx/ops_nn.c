/* ONNX operators of the nn family: import functions and their table. */
#include "import.h"

const trn_onnx_op_table_t trn_onnx_nn_ops = {NULL, 0};
