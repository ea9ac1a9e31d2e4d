// SPDX-License-Identifier: GPL-2.0
// Target BTF for core_ambiguous: two structs of essential name `route` that
// place next_hop differently. Built with -g only for its .BTF.
struct route___v4 {
	unsigned int dst;
	unsigned long long next_hop;
};

struct route___v6 {
	unsigned long long next_hop;
	unsigned int dst[4];
};

// Instances keep the types in the BTF clang writes.
struct route___v4 target_v4;
struct route___v6 target_v6;
