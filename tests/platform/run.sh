#!/bin/sh
# Run the platform probes on the patched QEMU, one QEMU run per probe, each
# bounded by timeout.  Prints one line per probe and a closing line
# "platform: N passed, N failed"; exits non-zero on any failure.
#
# usage: run.sh QEMU IMAGE LOGDIR [PROBE...]
set -u

qemu=$1
image=$2
logdir=$3
shift 3
timeout_s=${PLATFORM_TIMEOUT:-60}

common="-nodefaults -display none -no-reboot -m 256 -L /usr/share/seabios -L /usr/share/qemu
-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel $image"
cpu="qemu64,svm=on,npt=on,avic=on"
iommu="-M q35 -device amd-iommu,intremap=on -device edu"

# name | extra QEMU arguments | multiboot command line
probes="avic-vmrun|-M q35 -cpu $cpu|probe=avic-vmrun
avic-accel|-M q35 -cpu $cpu|probe=avic-accel
avic-trap-fault|-M q35 -cpu $cpu|probe=avic-trap-fault
avic-ipi|-M q35 -cpu $cpu|probe=avic-ipi
avic-ipi-smp|-M q35 -smp 2 -cpu $cpu|probe=avic-ipi-smp
avic-doorbell-msr|-M q35 -cpu $cpu|probe=avic-doorbell-msr
avic-erratum-off|-M q35 -cpu $cpu,avic-erratum-1235=off|probe=avic-erratum erratum=off
avic-erratum-on|-M q35 -cpu $cpu,avic-erratum-1235=on|probe=avic-erratum erratum=on
avic-erratum-smp-off|-M q35 -smp 2 -cpu $cpu,avic-erratum-1235=off|probe=avic-erratum-smp erratum=off
avic-erratum-smp-on|-M q35 -smp 2 -cpu $cpu,avic-erratum-1235=on|probe=avic-erratum-smp erratum=on
avic-shadow|-M q35 -cpu $cpu|probe=avic-shadow
iommu-ga-post|$iommu -cpu $cpu|probe=iommu-ga-post
iommu-event-log|$iommu -cpu $cpu|probe=iommu-event-log
svm-efer-lme|-M q35 -cpu $cpu|probe=svm-efer-lme
svm-v86-tss|-M q35 -cpu $cpu|probe=svm-v86-tss
svm-fpu-race|-M q35 -smp 2 -cpu $cpu|probe=svm-fpu-race"

mkdir -p "$logdir"
pass=0
fail=0
nl='
'
IFS_SAVED=$IFS
IFS=$nl
for line in $probes; do
    IFS=$IFS_SAVED
    name=${line%%|*}
    rest=${line#*|}
    args=${rest%%|*}
    append=${rest#*|}
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) IFS=$nl; continue ;; esac
    fi
    log="$logdir/$name.log"
    start=$(date +%s)
    # shellcheck disable=SC2086
    timeout "$timeout_s" "$qemu" $common $args -append "$append" >"$log" 2>&1 </dev/null
    rc=$?
    secs=$(($(date +%s) - start))
    # isa-debug-exit: PASS code 0x10 -> exit status 33
    if [ "$rc" -eq 33 ] && grep -q '^PASS ' "$log"; then
        pass=$((pass + 1))
        echo "platform: PASS $name (${secs}s)"
    else
        fail=$((fail + 1))
        [ "$rc" -eq 124 ] && why="timeout after ${timeout_s}s" || why="exit status $rc"
        echo "platform: FAIL $name ($why, log $log)"
        sed 's/^/    /' "$log" | tail -40
    fi
    IFS=$nl
done
IFS=$IFS_SAVED
echo "platform: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
