"""Static throughput of the micro-kernels' inner loops on Arm cores, by
llvm-mca (nothing here runs at the Raspberry Pi's speed).

    python benchmarks/mca_kernels.py [--write-docs]

Compiles the model runtime's GEMM sources for aarch64 with -mcpu=cortex-a72
(Raspberry Pi 4) and -mcpu=cortex-a76 (Raspberry Pi 5), finds each
micro-kernel's inner loop (the basic block that branches to itself and
holds the most multiply-accumulates of the kind), runs llvm-mca on it and
reports multiply-accumulates per cycle against the core's peak:

- fp32: FMLA (4 lanes); peak 4 MAC/cycle on the A72 (one 128-bit FMLA per
  cycle), 8 on the A76 (two);
- int8: SDOT (16 MACs), SMLAL/UMLAL (8), MLA/MUL on 32-bit lanes (4); peak
  8 MAC/cycle on the A72 (one SMLAL per cycle: no dot product), 32 on the
  A76 (two SDOT per cycle).

A benchmark, not a test: it asserts nothing. --write-docs rewrites its
section of docs/performance.md.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RUNTIME = os.path.join(ROOT, "lib", "Runtime", "ModelRuntime")
LLVM_BIN = "/usr/lib/llvm-22/bin"
MARKER = "<!-- mca results: written by benchmarks/mca_kernels.py -->"
END = "<!-- end of mca results -->"

# (core, peak fp32 MAC/cycle, peak int8 MAC/cycle, has SDOT)
CORES = [("cortex-a72", 4, 8, False), ("cortex-a76", 8, 32, True)]
# (kernel, source, function, precision)
KERNELS = [
    ("fp32 GEMM 6x16 (paso_gemm_f32)", "paso_gemm.c", "microKernel", "fp32"),
    ("int8 GEMM, SDOT (paso_qgemm_u8s8_dot)", "paso_qgemm.c", "microDot", "int8"),
    ("int8 GEMM, portable (paso_qgemm_u8s8)", "paso_qgemm.c", "microPortable",
     "int8"),
]
# Multiply-accumulates per instruction.
MACS = [(re.compile(r"^\s*sdot\s+v\d+\.4s"), 16),
        (re.compile(r"^\s*udot\s+v\d+\.4s"), 16),
        (re.compile(r"^\s*[su]mlal2?\s+v\d+\.8h"), 8),
        (re.compile(r"^\s*[su]mlal2?\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*[su]mull2?\s+v\d+\.8h"), 8),
        (re.compile(r"^\s*mla\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*mul\s+v\d+\.4s"), 4),
        (re.compile(r"^\s*fmla\s+v\d+\.4s"), 4)]


def compile_asm(source, cpu, out):
    args = [os.path.join(LLVM_BIN, "clang"), "--target=aarch64-linux-gnu",
            f"-mcpu={cpu}", "-O3", "-ffreestanding", "-fno-builtin",
            "-ffp-contract=fast", "-std=c11", "-fno-inline-functions",
            f"-I{os.path.join(ROOT, 'include')}",
            "-S", os.path.join(RUNTIME, source), "-o", out]
    subprocess.run(args, check=True)
    return open(out).read()


def function_body(asm, name):
    """Lines of function `name` (or its clones `name.N`)."""
    lines = asm.splitlines()
    bodies, current = [], None
    for line in lines:
        match = re.match(r"^([A-Za-z_][\w.]*):", line)
        if match and not match.group(1).startswith(".L"):
            label = match.group(1)
            current = [] if label == name or label.startswith(name + ".") \
                else None
            if current is not None:
                bodies.append(current)
            continue
        if current is not None:
            current.append(line)
    return [line for body in bodies for line in body]


def inner_loop(body):
    """The self-looping block with the most multiply-accumulates."""
    blocks, label, current = [], None, []
    for line in body:
        # Blocks start at a label or at a fall-through block's comment.
        match = re.match(r"^(\.LBB\w+):", line)
        if match or re.match(r"^// %bb\.\d+:", line):
            if label:
                blocks.append((label, current))
            label, current = (match.group(1) if match else "-"), []
        elif label:
            current.append(line)
    if label:
        blocks.append((label, current))
    best = None
    for label, lines in blocks:
        code = [l for l in lines if l.strip() and not l.strip().startswith(("//", "."))]
        if not code or label not in code[-1]:
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
        for cpu, peak_fp32, peak_int8, dot in CORES:
            for kernel, source, function, precision in KERNELS:
                if function == "microDot" and not dot:
                    continue
                asm = compile_asm(source, cpu,
                                  os.path.join(tmp, f"{cpu}.{source}.s"))
                found = inner_loop(function_body(asm, function))
                if not found:
                    print(f"{cpu} {kernel}: inner loop not found", flush=True)
                    continue
                code, macs = found
                cycles = mca_cycles(code, cpu)
                peak = peak_fp32 if precision == "fp32" else peak_int8
                rate = macs / cycles
                rows.append((cpu, kernel, len(code), macs, cycles, rate,
                             100 * rate / peak))
                print(f"{cpu:11s} {kernel:40s} {len(code):3d} instr "
                      f"{macs:4d} MACs {cycles:6.2f} cycles/iter "
                      f"{rate:5.2f} MAC/cycle = {100 * rate / peak:5.1f}% "
                      f"of peak", flush=True)
    lines = [MARKER, "",
             "llvm-mca (LLVM 22) over each micro-kernel's inner loop as "
             "compiled for the core; MACs counted per instruction (SDOT 16, "
             "SMLAL 8, 32-bit MLA and FMLA 4). Peaks: Cortex-A72 4 fp32 / 8 "
             "int8 MAC per cycle, Cortex-A76 8 / 32. Static numbers: no "
             "cache misses, no loop overhead outside the block.", "",
             "| core | kernel | instructions | MACs / iteration | cycles / iteration | MAC / cycle | % of peak |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.2f} | "
                     f"{r[5]:.2f} | {r[6]:.0f}% |")
    lines.append(END)
    if args.write_docs:
        path = os.path.join(ROOT, "docs", "performance.md")
        text = open(path).read()
        if MARKER in text:
            head, rest = text.split(MARKER, 1)
            text = head + "\n".join(lines) + rest.split(END, 1)[1]
        else:
            float_marker = "<!-- benchmark results:"
            head, _, rest = text.partition(float_marker)
            text = (head + "## Arm micro-kernels by llvm-mca\n\n" +
                    "\n".join(lines) + "\n\n" + float_marker + rest)
        with open(path, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
