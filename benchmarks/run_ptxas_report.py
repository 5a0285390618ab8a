"""What can be measured of the CUDA back end without a GPU: ptxas's
resource usage of every kernel of the suite models, per Jetson chip.

    python benchmarks/run_ptxas_report.py [--models a,b] [--write-docs]

For each model and chip: the kernels, registers per thread (median and
largest), spilled bytes, and the occupancy the registers allow at PASO's
256 threads per block (the share of the SM's thread slots that can be
resident, from the chip's register file and thread limit). This says
whether the kernels are lean enough to fill the GPU, not how fast they
are: that needs benchmarks/run_cuda_device.py on a GPU.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)
from paso import model_suite  # noqa: E402
from docs_section import write_section  # noqa: E402

MARKER = "<!-- ptxas results: written by benchmarks/run_ptxas_report.py -->"
END = "<!-- end of ptxas results -->"
# target: (chip, 32-bit registers per SM, resident threads per SM), from
# NVIDIA's CUDA C Programming Guide (compute capabilities table).
CHIPS = {"jetson-nano": ("sm_53", 65536, 2048),
         "jetson-xavier": ("sm_72", 65536, 2048),
         "jetson-orin": ("sm_87", 65536, 1536)}
BLOCK = 256
PTXAS = os.path.join(sys.prefix, "lib", "python3.11", "site-packages",
                     "nvidia", "cuda_nvcc", "bin", "ptxas")


def occupancy(registers, registers_per_sm, threads_per_sm):
    """Resident threads over the SM's limit, registers the only limit
    (allocation in units of 256 registers per warp)."""
    per_warp = -(-registers * 32 // 256) * 256
    warps = registers_per_sm // max(per_warp, 1)
    blocks = warps // (BLOCK // 32)
    return min(blocks * BLOCK, threads_per_sm) / threads_per_sm


def report(model, target, workdir):
    chip, registers_per_sm, threads_per_sm = CHIPS[target]
    ptx = os.path.join(workdir, f"{model}.{chip}.ptx")
    subprocess.run([os.path.join(ROOT, "build", "bin", "paso-opt"),
                    os.path.join(workdir, f"{model}.onnx"),
                    f"-target={target}", "-o", ptx], check=True,
                   capture_output=True)
    result = subprocess.run([PTXAS, "-v", f"-arch={chip}", ptx, "-o",
                             os.devnull], capture_output=True, text=True,
                            check=True)
    registers = [int(n) for n in re.findall(r"Used (\d+) registers",
                                            result.stderr)]
    spills = sum(int(n) for n in re.findall(r"(\d+) bytes spill stores",
                                            result.stderr))
    shares = [occupancy(r, registers_per_sm, threads_per_sm)
              for r in registers]
    return {"model": model, "target": target, "chip": chip,
            "kernels": len(registers),
            "registers_median": statistics.median(registers),
            "registers_max": max(registers), "spill_bytes": spills,
            "occupancy_min": min(shares)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(model_suite.MODELS))
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if not os.path.exists(PTXAS):
        sys.exit(f"ptxas not found at {PTXAS}: run third_party/bootstrap.sh")
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        models = args.models.split(",")
        model_suite.write_suite(workdir, models)
        for model in models:
            for target in CHIPS:
                row = report(model, target, workdir)
                rows.append(row)
                print(row)
    lines = ["`python benchmarks/run_ptxas_report.py --write-docs`: ptxas "
             "12.9 `-v` over every kernel, 256 threads per block; "
             "occupancy is the share of the SM's thread slots the kernel "
             "with the most registers can fill (registers the only limit). "
             "No GPU ran these.", "",
             "| model | chip | kernels | registers (median / max) | "
             "spilled bytes | occupancy (worst kernel) |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['chip']} | {row['kernels']} | "
                     f"{row['registers_median']:g} / {row['registers_max']} "
                     f"| {row['spill_bytes']} | "
                     f"{row['occupancy_min']:.0%} |")
    print("\n".join(lines))
    if args.write_docs:
        write_section(MARKER, END, "CUDA kernels: ptxas resource usage",
                      lines)


if __name__ == "__main__":
    main()
