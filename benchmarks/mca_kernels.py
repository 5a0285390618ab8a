"""Static throughput of the micro-kernels' inner loops on Arm cores, by
llvm-mca (nothing here runs at the Raspberry Pi's speed).

    python benchmarks/mca_kernels.py [--write-docs]

Compiles the model runtime's GEMM sources for aarch64 with -mcpu=cortex-a72
(Raspberry Pi 4) and -mcpu=cortex-a76 (Raspberry Pi 5) as the build does,
finds each micro-kernel's inner loop (the innermost loop holding the
kernel's instruction with the most multiply-accumulates), runs llvm-mca on
it and reports multiply-accumulates per cycle against the core's peak:

- fp32: FMLA (4 lanes); peak 4 MAC/cycle on the A72 (one 128-bit FMLA per
  cycle), 8 on the A76 (two);
- int8: SDOT (16 MACs), SMLAL/UMLAL (8), MLA/MUL on 32-bit lanes (4); peak
  8 MAC/cycle on the A72 (one SMLAL per cycle: no dot product), 32 on the
  A76 (two SDOT per cycle);
- fp16: FMLA on 8 half lanes; peak 16 MAC/cycle on the A76 (two per
  cycle); the A72 (Armv8.0) has no fp16 arithmetic.

LLVM has no scheduling model of its own for the Cortex-A76:
-mcpu=cortex-a76 schedules with the Cortex-A57's, which issues one 128-bit
FMLA per cycle (so no fp32 kernel can pass 50% of the A76's peak there).
The Neoverse N1 is the A76's core in a server (same pipelines, Arm's
optimisation guide for it is the A76's) and LLVM models it in detail, so
the A76 build's loops are also run through `-mcpu=neoverse-n1`: the rows
"cortex-a76 (N1 model)", the figures to judge the A76 by.

A benchmark, not a test: it asserts nothing. --write-docs rewrites its
section of docs/performance.md.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_section import write_section  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RUNTIME = os.path.join(ROOT, "lib", "Runtime", "ModelRuntime")
LLVM_BIN = "/usr/lib/llvm-22/bin"
MARKER = "<!-- mca results: written by benchmarks/mca_kernels.py -->"
END = "<!-- end of mca results -->"

# (row label, -mcpu to compile for, -mcpu of llvm-mca's model, peak fp32 /
# int8 / fp16 MAC per cycle, has SDOT and fp16)
CORES = [("cortex-a72", "cortex-a72", "cortex-a72", 4, 8, 0, False),
         ("cortex-a76", "cortex-a76", "cortex-a76", 8, 32, 16, True),
         ("cortex-a76 (N1 model)", "cortex-a76", "neoverse-n1", 8, 32, 16,
          True)]
# (kernel, source, the instruction that marks its inner loop, precision,
# needs SDOT[, the function it is in]). The inner loop is the one with the
# most multiply-adds among the loops holding that instruction.
KERNELS = [
    ("fp32 GEMM 6x16 (paso_gemm_f32)", "paso_gemm.c",
     r"^\s*fmla\s", "fp32", False),
    ("int8 GEMM, SDOT (paso_qgemm_u8s8_dot)", "paso_qgemm.c", r"^\s*sdot\s",
     "int8", True),
    ("int8 GEMM, SMULL/SMLAL (paso_qgemm_s8s8_neon)", "paso_qgemm.c",
     r"^\s*smlal2?\s", "int8", False),
    ("int8 GEMM, portable (paso_qgemm_u8s8)", "paso_qgemm.c",
     r"^\s*(mla|mul)\s+v\d+\.4s", "int8", False),
    # Counts the SDOTs' 16 products, of which 12 are taps (the fourth
    # byte's weight is zero).
    ("int8 depthwise 3x3, SDOT (paso_qdepthwise_u8s8_dot)", "paso_qgemm.c",
     r"^\s*tbl\s", "int8", True),
    ("fp16 GEMM 6x32 (paso_gemm_f16)", "paso_gemm_f16.c",
     r"^\s*fmla\s+v\d+\.8h", "fp16", True),
    # Channels-last (NHWC) 3x3 windows: three SDOTs per window row of 16
    # channels (12 of each SDOT's 16 products are taps), requantisation
    # included; and the widening form every other target runs.
    ("int8 depthwise 3x3 NHWC, SDOT (paso_qdepthwise_nhwc_8_dot)",
     "paso_qdepthwise_nhwc.c", r"^\s*sdot\s", "int8", True, "dotTask"),
    ("int8 depthwise 3x3 NHWC, widening (paso_qdepthwise_nhwc_8)",
     "paso_qdepthwise_nhwc.c", r"^\s*(mla|mul|[su]mlal2?)\s+v\d+\.4s", "int8",
     False, "computeTask"),
    # The matrix-vector path (batch 1 through a fully connected layer):
    # 12 rows x 4 k a group, inlined into gemvTask.
    ("int8 GEMV, SDOT (gemvDot)", "paso_qgemm.c", r"^\s*sdot\s", "int8",
     True, "gemvTask"),
    ("int8 GEMV, SMULL + SADALP (gemvWiden)", "paso_qgemm.c",
     r"^\s*smull2?\s", "int8", False, "gemvTask"),
    # What both replace: weights widened to 32-bit lanes.
    ("int8 GEMV, portable (gemvPortable)", "paso_qgemm.c",
     r"^\s*smlal2?\s+v\d+\.4s", "int8", False, "gemvTask"),
]
# Multiply-accumulates per instruction.
MACS = [(re.compile(r"^\s*sdot\s+v\d+\.4s"), 16),
        (re.compile(r"^\s*udot\s+v\d+\.4s"), 16),
        (re.compile(r"^\s*[su]mlal2?\s+v\d+\.8h"), 8),
        (re.compile(r"^\s*[su]mlal2?\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*[su]mull2?\s+v\d+\.8h"), 8),
        (re.compile(r"^\s*mla\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*mul\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*fmla\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*fmla\s+v\d+\.8h"), 8)]


def compile_asm(source, cpu, out):
    args = [os.path.join(LLVM_BIN, "clang"), "--target=aarch64-linux-gnu",
            f"-mcpu={cpu}", "-O3", "-ffreestanding", "-fno-builtin",
            "-ffp-contract=fast", "-std=c11",
            # As the build compiles the fp16 kernel (CMakeLists.txt).
            "-Xclang", "-ffloat16-excess-precision=none",
            f"-I{os.path.join(ROOT, 'include')}",
            "-S", os.path.join(RUNTIME, source), "-o", out]
    subprocess.run(args, check=True)
    return open(out).read()


def function_text(asm, name):
    """The assembly of function `name`, label to end."""
    match = re.search(rf"^{re.escape(name)}:.*?^\.Lfunc_end\d+:", asm,
                      re.S | re.M)
    return match.group(0) if match else ""


def inner_loop(asm, kind):
    """The innermost loop (a backward branch to a label, no other
    backward branch inside) with the most multiply-accumulates of `kind`
    (a regular expression for the instruction): its code and MAC count."""
    lines = asm.splitlines()
    labels = {}
    for i, line in enumerate(lines):
        match = re.match(r"^(\.LBB\w+):", line)
        if match:
            labels[match.group(1)] = i
    loops = []
    for i, line in enumerate(lines):
        match = re.match(r"^\s+(?:b\.\w+|b|cbn?z|tbn?z)\s+.*?(\.LBB\w+)\s*$", line)
        if match and match.group(1) in labels and labels[match.group(1)] < i:
            loops.append((labels[match.group(1)], i))
    best = None
    for start, end in loops:
        if any(start <= s2 and e2 <= end and (s2, e2) != (start, end)
               for s2, e2 in loops):
            continue
        code = [l for l in lines[start + 1:end + 1]
                if l.strip() and not l.strip().startswith(("//", "."))]
        if not any(re.match(kind, l) for l in code):
            continue
        macs = sum(n for l in code for pattern, n in MACS if pattern.match(l))
        if macs and (not best or macs > best[1]):
            best = (code, macs)
    return best


def mca_cycles(code, cpu):
    """Cycles per iteration of `code` by llvm-mca."""
    result = subprocess.run(
        [os.path.join(LLVM_BIN, "llvm-mca"), "-mtriple=aarch64-linux-gnu",
         f"-mcpu={cpu}", "-iterations=200"],
        input="\n".join(code) + "\n", capture_output=True, text=True,
        check=True)
    cycles = int(re.search(r"Total Cycles:\s+(\d+)", result.stdout).group(1))
    iterations = int(re.search(r"Iterations:\s+(\d+)", result.stdout).group(1))
    return cycles / iterations


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, cpu, model, peak_fp32, peak_int8, peak_fp16, dot in \
                CORES:
            for kernel, source, marker, precision, needs_dot, *within in \
                    KERNELS:
                if needs_dot and not dot:
                    continue
                asm = compile_asm(source, cpu,
                                  os.path.join(tmp, f"{cpu}.{source}.s"))
                if within:
                    asm = function_text(asm, within[0])
                if precision == "fp32":
                    # The 6 x 16 micro-kernel the 128-bit targets run,
                    # inlined into `block` (not the 512-bit variant's
                    # `block_v16`, nor Winograd's transforms).
                    asm = function_text(asm, "block")
                if precision == "fp16":
                    # The 6 x 32 tile of the 256-bit variant (`tile_f16`).
                    asm = function_text(asm, "tile_f16")
                found = inner_loop(asm, marker)
                if not found:
                    print(f"{cpu} {kernel}: inner loop not found", flush=True)
                    continue
                code, macs = found
                cycles = mca_cycles(code, model)
                peak = {"fp32": peak_fp32, "int8": peak_int8,
                        "fp16": peak_fp16}[precision]
                rate = macs / cycles
                rows.append((label, kernel, len(code), macs, cycles, rate,
                             100 * rate / peak))
                print(f"{label:21s} {kernel:40s} {len(code):3d} instr "
                      f"{macs:4d} MACs {cycles:6.2f} cycles/iter "
                      f"{rate:5.2f} MAC/cycle = {100 * rate / peak:5.1f}% "
                      f"of peak", flush=True)
    lines = ["llvm-mca (LLVM 22) over each micro-kernel's inner loop as "
             "compiled for the core; MACs counted per instruction (SDOT 16, "
             "SMLAL and fp16 FMLA 8, 32-bit MLA and FMLA 4). Peaks: "
             "Cortex-A72 4 fp32 / 8 int8 MAC per cycle (no fp16), "
             "Cortex-A76 8 / 32 / 16 fp16. LLVM schedules -mcpu=cortex-a76 "
             "with the Cortex-A57's model (one 128-bit FMLA per cycle); "
             "the \"N1 model\" rows run the same A76 code through "
             "-mcpu=neoverse-n1, the A76's core as LLVM models it in "
             "detail. Static numbers: no "
             "cache misses, no loop overhead outside the block.", "",
             "| core | kernel | instructions | MACs / iteration | cycles / iteration | MAC / cycle | % of peak |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.2f} | "
                     f"{r[5]:.2f} | {r[6]:.0f}% |")
    if args.write_docs:
        write_section(MARKER, END, "Arm micro-kernels by llvm-mca", lines,
                      before="<!-- benchmark results:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
