// Helper registry with the kernel's helper numbers. Names for every number the
// kernel defines come from linux/bpf.h's __BPF_FUNC_MAPPER, so a refusal can
// name a helper this runtime lacks.
#pragma once

#include <cstdint>
#include <string>

#include "exec_context.h"

namespace xdpdk::vm {

namespace helper_id {
constexpr int32_t MapLookupElem = 1, MapUpdateElem = 2, MapDeleteElem = 3, KtimeGetNs = 5,
                  TracePrintk = 6, GetPrandomU32 = 7, GetSmpProcessorId = 8, TailCall = 12,
                  Redirect = 23, XdpAdjustHead = 44, CsumDiff = 28, RedirectMap = 51,
                  XdpAdjustMeta = 54, XdpAdjustTail = 65, XdpGetBuffLen = 188, XdpLoadBytes = 189,
                  XdpStoreBytes = 190;
}

// nullptr when this runtime does not implement helper `id`.
HelperFn find_helper(int32_t id);

// "bpf_map_lookup_elem" for 1; "helper#N" when the kernel has no such number.
std::string helper_name(int32_t id);

// bpf_tail_call is carried out by the engines, not called: it never returns
// to the caller on success. Returns the program to continue with, or nullptr.
const Program* tail_call_target(uint64_t prog_array, uint64_t index, ExecContext* ex);

}  // namespace xdpdk::vm
