"""Prints a trn_tile function of N loads of 54,400 bytes (what a trn1 queue moves
during a DMA's fixed cost) from one HBM input into distinct SBUF columns; with
--prefetched each load carries `prefetched = 1`; --n N for N loads instead of 80
(lower_to_isa_prefetch_join.test)."""
import sys

args = sys.argv[1:]
n = int(args[args.index("--n") + 1]) if "--n" in args else 80
attr = ", prefetched = 1 : i64" if "--prefetched" in sys.argv[1:] else ""
print("func.func @main() {")
print('  %x = "trn_tile.input"() {name = "x", index = 0 : i64, hbm_offset = 0 : i64}'
      f" : () -> !trn_tile.tile<[{n * 100}, 136], f32, \"hbm\">")
print('  %s = "trn_tile.alloc"() {offset = 0 : i64}'
      f" : () -> !trn_tile.tile<[100, {n * 136}], f32, \"sbuf\">")
for i in range(n):
    print(f'  "trn_tile.dma"(%x, %s) {{sizes = array<i64: 100, 136>, src_offset = {i * 13600} : i64, '
          f"src_strides = array<i64: 136, 1>, dst_offset = {i * 136} : i64, "
          f"dst_strides = array<i64: {n * 136}, 1>{attr}}} : "
          f'(!trn_tile.tile<[{n * 100}, 136], f32, "hbm">, !trn_tile.tile<[100, {n * 136}], f32, "sbuf">) -> ()')
print("  return")
print("}")
