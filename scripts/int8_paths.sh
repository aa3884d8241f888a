#!/usr/bin/env bash
# int8 and fp32 per CPU kernel path, forced on one machine: fbgemm (FBGEMM_ENABLE_INSTRUCTIONS),
# ATen's vectorised kernels (ATEN_CPU_CAPABILITY), MKL (MKL_ENABLE_INSTRUCTIONS) and oneDNN
# (ONEDNN_MAX_CPU_ISA). A path the CPU lacks is not forced (fbgemm and MKL keep a lower one).
# Prints, per path and precision: WikiNEuRal test words/s and micro F1 (conflict labels mapped
# back), and the conflict dev set's micro and per-label F1 through the whole pipeline.
# Usage: scripts/int8_paths.sh [WIKINEURAL_TEST.conll]   (figures in BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
V=target/release/vigie
TEST=${1:-../shared/data/ner/wikineural_fr/test.conll}
MAP=ARMED_GROUP=ORG,LOCATION=LOC,WEAPON=MISC,PERSON=PER
[ -f "$TEST" ] || { echo "no $TEST" >&2; exit 1; }
echo "cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
declare -A PATHS=(
  [native]=""
  [avx512]="FBGEMM_ENABLE_INSTRUCTIONS=AVX512"
  [avx2]="FBGEMM_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2"
  [default]="FBGEMM_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2"
)
printf '%-8s %-5s %-12s %10s %8s %9s %7s %7s %7s\n' path prec fbgemm words/s test_F1 dev_micro dev_AG dev_LOC dev_WPN
for path in native avx512 avx2 default; do
  for prec in int8 fp32; do
    t=$(env ${PATHS[$path]} "$V" eval ner --gold "$TEST" --model models/ner-fr --precision "$prec" --map "$MAP" -j 2)
    d=$(env ${PATHS[$path]} "$V" eval ner --gold tests/data/conflict_dev.jsonl --pipeline --model models/ner-fr --precision "$prec")
    fb=$(echo "$t" | sed -n 's/.*fbgemm int8 path \([a-z0-9_]*\).*/\1/p')
    wps=$(echo "$t" | sed -n 's/.*= \([0-9]*\) words\/s.*/\1/p')
    f1=$(echo "$t" | sed -n 's/^micro F1=//p')
    dm=$(echo "$d" | sed -n 's/^micro F1=//p')
    lab() { echo "$d" | awk -v l="$1" '$1==l {print $4}'; }
    printf '%-8s %-5s %-12s %10s %8s %9s %7s %7s %7s\n' "$path" "$prec" "$fb" "$wps" "$f1" "$dm" "$(lab ARMED_GROUP)" "$(lab LOCATION)" "$(lab WEAPON)"
  done
done
