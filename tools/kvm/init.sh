#!/bin/sh
# /init of the KVM L1 (docs/kvm.md): Debian's 6.1 kernel inside the project's QEMU loads KVM with
# the run's kvm-amd options, runs the guest under Debian's QEMU with -accel kvm, and reports on
# its console, for tools/kvm/run.py:
#   kvm-l1: ...                      progress and KVM's own messages
#   [NAME] ...                       the guest's serial output (as doorbell prefixes a VM's)
#   kvm-l1: trace BEGIN/END FILE     raw tracefs histograms and inhibit events, parsed outside
#   kvm-l1: mark vcpu=V exits=N ...  with MARKS=1: a guest's mark (guests/lib/kvm.h) and the exits
#                                    of its vCPU up to it, from the kvm_exit events in the buffer
#   kvm-l1: status N                 the L2 QEMU's exit status (the last line before poweroff)
# The run's settings come from /kvm/run.conf (shell variables written by tools/kvm/run.py).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
. /kvm/run.conf

fail() {
	echo "kvm-l1: FAILED: $*"
	echo "kvm-l1: status 255"
	poweroff -f
}

M=/lib/modules/$(uname -r)/kernel
kvm_args=""
amd_args=""
for o in $KVM_OPTS; do
	case "$o" in
	kvm.*) kvm_args="$kvm_args ${o#kvm.}" ;;
	*) amd_args="$amd_args $o" ;;
	esac
done
insmod $M/virt/lib/irqbypass.ko || fail "insmod irqbypass"
insmod $M/arch/x86/kvm/kvm.ko $kvm_args || fail "insmod kvm.ko$kvm_args (a kvm.* option kvm.ko does not know?)"
insmod $M/drivers/crypto/ccp/ccp.ko 2>/dev/null || echo "kvm-l1: ccp.ko not loaded (kvm-amd may still load)"
insmod $M/arch/x86/kvm/kvm-amd.ko $amd_args || fail "insmod kvm-amd.ko$amd_args (dmesg above; an option kvm-amd does not know?)"
dmesg | grep -E "SVM|AVIC|kvm|TSC|tsc|clocksource" | sed 's/^\[[ 0-9.]*\] /kvm-l1: dmesg: /'
for p in avic npt nested nrips vgif vls; do
	[ -r /sys/module/kvm_amd/parameters/$p ] && echo "kvm-l1: kvm_amd.$p=$(cat /sys/module/kvm_amd/parameters/$p)"
done
[ -e /dev/kvm ] || fail "no /dev/kvm after loading kvm-amd"

# KVM's exits and AVIC events by vCPU as tracefs histograms (counted in the kernel, nothing lost
# to a full buffer); the APICv inhibit changes as events in the buffer (few, with their state).
T=/sys/kernel/tracing
[ -d $T/events/kvm ] || T=/sys/kernel/debug/tracing
echo 0 > $T/tracing_on
echo > $T/trace
# MARKS=1: every kvm_exit and the guests' marks also go to the buffer (about 60 bytes an exit;
# 16 MB a CPU hold some 250 000), counted after the run; a full buffer is reported (overrun).
if [ "$MARKS" = 1 ]; then echo 16384 > $T/buffer_size_kb; else echo 4096 > $T/buffer_size_kb; fi
hist() { # event keys
	if [ -d $T/events/kvm/$1 ]; then
		echo "hist:keys=$2:vals=hitcount:size=4096" > $T/events/kvm/$1/trigger \
			|| echo "kvm-l1: no histogram on kvm:$1"
	else
		echo "kvm-l1: no tracepoint kvm:$1 in $(uname -r)"
	fi
}
# TRACE=0: no histograms and no marks (each costs instructions in KVM's exit path: the
# instruction counts of make bench, docs/bench.md); the inhibit events stay (a few per run).
if [ "$TRACE" != 0 ]; then
hist kvm_exit vcpu_id,exit_reason
hist kvm_avic_incomplete_ipi vcpu,id
hist kvm_avic_unaccelerated_access vcpu,offset
hist kvm_avic_ga_log vcpuid
hist kvm_avic_kick vcpu
hist kvm_avic_doorbell vcpuid
hist kvm_pio port,rw
fi
if [ "$MARKS" = 1 ] && [ "$TRACE" != 0 ]; then
	echo 1 > $T/events/kvm/kvm_exit/enable
	# KVM_MARK_NR of guests/lib/kvm.h
	echo "nr == 0x64620001" > $T/events/kvm/kvm_hypercall/filter
	echo 1 > $T/events/kvm/kvm_hypercall/enable
fi
# The L1's own interrupts by CPU: each one that hits a CPU in guest mode is an intr exit.
IRQS="local_timer_entry reschedule_entry call_function_entry call_function_single_entry"
for e in $IRQS; do
	[ -d $T/events/irq_vectors/$e ] && echo "hist:keys=common_cpu:vals=hitcount" > $T/events/irq_vectors/$e/trigger
done
if [ -d $T/events/kvm/kvm_apicv_inhibit_changed ]; then
	echo 1 > $T/events/kvm/kvm_apicv_inhibit_changed/enable
else
	echo "kvm-l1: no tracepoint kvm:kvm_apicv_inhibit_changed in $(uname -r)"
fi
echo 1 > $T/tracing_on

echo "kvm-l1: running $NAME under KVM: $VCPUS vCPUs, $MEM, args '$ARGS', kvm-amd$amd_args"
# The platform of the guest's direct runs (tests/qemu/run.py), with KVM: the in-kernel LAPIC,
# IOAPIC and PIT, the PIT with lost_tick_policy=discard (reinject mode inhibits AVIC).
set -- -accel kvm -machine q35,kernel-irqchip=on -cpu host,svm=off -m "$MEM" -smp "$VCPUS" \
	-global kvm-pit.lost_tick_policy=discard \
	-name "$NAME",debug-threads=on -display none -no-reboot -serial stdio -monitor none \
	-device isa-debug-exit,iobase=0xf4,iosize=4 -net none \
	-L /usr/share/seabios -L /usr/share/qemu -kernel "/kvm/$NAME"
# QMP on two FIFOs, for the SHUTDOWN event's reason: a guest that powers off and one that resets
# or triple-faults both end QEMU -no-reboot with status 0 (tools/kvm/run.py tells them apart).
# QEMU opens both read-write, so neither open blocks it.
mkfifo /tmp/qmp.in /tmp/qmp.out
printf '{"execute":"qmp_capabilities"}\n' > /tmp/qmp.in &
cat /tmp/qmp.out > /tmp/qmp.log &
set -- "$@" -chardev pipe,id=qmp,path=/tmp/qmp -mon chardev=qmp,mode=control
[ -n "$ARGS" ] && set -- "$@" -append "$ARGS"
[ -n "$INITRD" ] && set -- "$@" -initrd "/kvm/$INITRD"
# vCPU i runs on L1 CPU (i + 1) mod CPUs, as doorbell's erratum tests pin theirs (cpus=0-1):
# unpinned, the L1 scheduler often ran both vCPUs of a 2-vCPU guest on one CPU, so one never ran
# while the other was in guest mode. CPUs 1 and up are nohz_full (tools/kvm/run.py): vCPU 0 there
# takes no timer-tick exits (docs/kvm.md, "The erratum").
pin_vcpus() {
	cpus=$(nproc)
	for try in $(seq 300); do
		pinned=""
		for c in /proc/[0-9]*/task/[0-9]*/comm; do
			read -r comm < "$c" 2>/dev/null || continue
			case "$comm" in "CPU "*"/KVM") ;; *) continue ;; esac
			i=${comm#CPU }; i=${i%/KVM}
			tid=${c%/comm}; tid=${tid##*/}
			cpu=$(((i + 1) % cpus))
			taskset -p $((1 << cpu)) "$tid" >/dev/null 2>&1 && pinned="$pinned $i:$cpu"
		done
		if [ $(echo $pinned | wc -w) -ge "$VCPUS" ]; then
			echo "kvm-l1: vCPU threads pinned (vCPU:CPU):$pinned"
			return
		fi
		sleep 0.1
	done
	echo "kvm-l1: FAILED to pin the vCPU threads (found:$pinned)"
}
pin_vcpus &
# The guest's lines, prefixed; its first line is marked in the trace: by then its runtime has
# masked the PIC and LINT0 (guests/lib/apic.c), so the firmware's ExtINT timer ticks, which
# inhibit AVIC while KVM waits for an IRQ window (IRQWIN), are over (docs/kvm.md).
first=1
{ timeout -s KILL "$TIMEOUT" qemu-system-x86_64 "$@" </dev/null 2>/tmp/qemu.err; echo $? > /tmp/status; } \
	| while IFS= read -r line; do
		if [ $first = 1 ]; then
			echo "kvm-l1: guest output begins" > $T/trace_marker
			first=0
		fi
		echo "[$NAME] $line"
	done
status=$(cat /tmp/status)
sed 's/^/kvm-l1: L1 QEMU: /' /tmp/qemu.err
sleep 0.2 # the QMP reader's last line
reason=$(grep -o '"reason": *"[a-z-]*"' /tmp/qmp.log 2>/dev/null | tail -n 1 | sed 's/.*: *"//; s/"$//')
echo "kvm-l1: shutdown reason ${reason:-none}"
echo 0 > $T/tracing_on

for f in kvm_exit kvm_avic_incomplete_ipi kvm_avic_unaccelerated_access kvm_avic_ga_log \
	kvm_avic_kick kvm_avic_doorbell kvm_pio; do
	[ -r $T/events/kvm/$f/hist ] || continue
	echo "kvm-l1: trace BEGIN $f"
	grep -v '^#' $T/events/kvm/$f/hist | grep .
	echo "kvm-l1: trace END $f"
done
for e in $IRQS; do
	[ -r $T/events/irq_vectors/$e/hist ] || continue
	echo "kvm-l1: trace BEGIN $e"
	grep -v '^#' $T/events/irq_vectors/$e/hist | grep .
	echo "kvm-l1: trace END $e"
done
if [ "$MARKS" = 1 ] && [ "$TRACE" != 0 ]; then
	# Per L1 CPU, the vCPU of its latest exit: a mark's VMMCALL exit comes just before the mark.
	grep -v '^#' $T/trace | awk '
		match($0, /\[[0-9]+\]/) { cpu = substr($0, RSTART + 1, RLENGTH - 2) }
		/ kvm_exit: vcpu / {
			split(substr($0, index($0, " kvm_exit: vcpu ") + 16), f, " ")
			last[cpu] = f[1]; n[f[1]]++; r[f[1] " " f[3]]++; next
		}
		/ kvm_hypercall: nr / {
			v = (cpu in last) ? last[cpu] : "unknown"
			by = ""
			for (k in r) {
				split(k, kv, " ")
				if (kv[1] == v) by = by " " kv[2] ":" r[k]
			}
			print "kvm-l1: mark vcpu=" v " exits=" (n[v] + 0) " " substr($0, index($0, " kvm_hypercall: ") + 16) " by" by
		}'
	for c in $T/per_cpu/cpu*; do
		echo "kvm-l1: trace ${c##*/} $(grep -E '^(overrun|entries):' $c/stats | tr '\n' ' ')"
	done
fi
echo "kvm-l1: trace BEGIN kvm_apicv_inhibit_changed"
grep -v '^#' $T/trace | grep -E 'apicv_inhibit|guest output begins'
echo "kvm-l1: trace END kvm_apicv_inhibit_changed"
echo "kvm-l1: kvm_amd.avic=$(cat /sys/module/kvm_amd/parameters/avic)"
echo "kvm-l1: status $status"
poweroff -f
