#!/bin/sh
# Builds the two capture programs into $1 (default /tmp/acpi-capture):
#   acpidump.elf  multiboot v1 ELF32, for qemu-system-x86_64 -kernel (SeaBIOS)
#   BOOTX64.EFI   GNU-EFI application, for OVMF
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/acpi-capture}
mkdir -p "$out"
cflags="-std=gnu11 -O1 -Wall -Wextra -Werror -ffreestanding -fno-stack-protector -fno-pic"

gcc -m32 $cflags -c "$here/acpidump.c" -o "$out/acpidump32.o"
gcc -m32 -c "$here/multiboot_entry.S" -o "$out/multiboot_entry.o"
ld -m elf_i386 -nostdlib -Ttext=0x100000 -e _start "$out/multiboot_entry.o" "$out/acpidump32.o" \
	-o "$out/acpidump.elf"

efiflags="-std=gnu11 -O1 -Wall -Wextra -Werror -ffreestanding -fno-stack-protector -fpic \
	-fshort-wchar -mno-red-zone -DEFI_FUNCTION_WRAPPER -I/usr/include/efi \
	-I/usr/include/efi/x86_64"
gcc $efiflags -c "$here/acpidump.c" -o "$out/acpidump64.o"
gcc $efiflags -c "$here/efi_main.c" -o "$out/efi_main.o"
ld -shared -Bsymbolic -nostdlib -T /usr/lib/elf_x86_64_efi.lds /usr/lib/crt0-efi-x86_64.o \
	"$out/efi_main.o" "$out/acpidump64.o" -L/usr/lib -lefi -lgnuefi -o "$out/acpidump.so"
objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .reloc \
	--target=efi-app-x86_64 "$out/acpidump.so" "$out/BOOTX64.EFI"
