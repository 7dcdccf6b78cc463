.target trn1
.stream pe
.layer "conv1" extra
    nop
