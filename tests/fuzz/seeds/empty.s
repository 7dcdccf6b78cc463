# the smallest valid program
.target trn2
