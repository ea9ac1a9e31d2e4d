// SPDX-License-Identifier: GPL-2.0
// One variable in each kind of global-data section: .rodata (const volatile,
// set before load), .data, .bss, custom .data.* / .rodata.* sections, a
// file-static variable, and string literals (.rodata.str1.1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct config {
	__u32 multiplier;
	__u32 addend;
};

const volatile struct config cfg = { 3, 4 };
const volatile __u32 ro_scalar = 7;
volatile __u32 input;
__u64 bss_counter;
char picked_char;
__u32 data_value = 100;
static __u32 static_data = 5;
__u32 custom_data SEC(".data.custom") = 21;
const volatile __u32 custom_ro SEC(".rodata.custom") = 9;

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	const char *msg = "loader string literal";
	__u32 x = input;

	bss_counter++;
	static_data += 1;
	data_value += x;
	custom_data += custom_ro;
	picked_char = msg[x & 15];
	return x * cfg.multiplier + cfg.addend + ro_scalar + static_data;
}

char LICENSE[] SEC("license") = "GPL";
