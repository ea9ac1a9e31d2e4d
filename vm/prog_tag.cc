#include "prog_tag.h"

#include <cstring>
#include <vector>

namespace xdpdk::vm {
namespace {

// SHA-256 (FIPS 180-4), written here because the tag needs nothing else of
// a crypto library and the project's dependencies have none that exports it.
// Linux 6.18 takes the tag from the program's SHA-256 digest (kernels before
// the program-signing work used SHA-1; checked against the running kernel
// in test_loader_compat).
class Sha256 {
public:
    std::array<uint8_t, 32> digest(std::span<const uint8_t> data) {
        std::vector<uint8_t> msg(data.begin(), data.end());
        const uint64_t bits = uint64_t{data.size()} * 8;
        msg.push_back(0x80);
        while (msg.size() % 64 != 56) msg.push_back(0);
        for (int i = 7; i >= 0; --i) msg.push_back(static_cast<uint8_t>(bits >> (i * 8)));
        for (size_t off = 0; off < msg.size(); off += 64) block(msg.data() + off);
        std::array<uint8_t, 32> out{};
        for (int i = 0; i < 8; ++i)
            for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<uint8_t>(h_[i] >> (24 - 8 * b));
        return out;
    }

private:
    static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

    void block(const uint8_t* p) {
        static constexpr uint32_t k[64] = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
        uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = uint32_t{p[4 * i]} << 24 | uint32_t{p[4 * i + 1]} << 16 | uint32_t{p[4 * i + 2]} << 8 | p[4 * i + 3];
        for (int i = 16; i < 64; ++i) {
            const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t v[8];
        std::memcpy(v, h_, sizeof v);
        for (int i = 0; i < 64; ++i) {
            const uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
            const uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
            const uint32_t t1 = v[7] + s1 + ch + k[i] + w[i];
            const uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
            const uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            std::memmove(v + 1, v, 7 * sizeof(uint32_t));
            v[4] += t1;
            v[0] = t1 + s0 + maj;
        }
        for (int i = 0; i < 8; ++i) h_[i] += v[i];
    }

    uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
};

constexpr uint8_t kPseudoMapFd = 1, kPseudoMapValue = 2;

}  // namespace

ProgTag prog_tag(std::span<const RawInsn> insns, std::span<const LddwOrigin> origins) {
    std::vector<RawInsn> submitted(insns.begin(), insns.end());
    for (const LddwOrigin& o : origins) {
        if (o.insn + 1 >= submitted.size()) continue;
        submitted[o.insn].src = o.value ? kPseudoMapValue : kPseudoMapFd;
        submitted[o.insn].imm = 0;
        submitted[o.insn + 1].imm = 0;
    }
    const auto bytes = std::span(reinterpret_cast<const uint8_t*>(submitted.data()), submitted.size() * sizeof(RawInsn));
    const auto digest = Sha256().digest(bytes);
    ProgTag tag{};
    std::memcpy(tag.data(), digest.data(), tag.size());
    return tag;
}

std::string prog_tag_hex(const ProgTag& tag) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (uint8_t b : tag) {
        hex += kDigits[b >> 4];
        hex += kDigits[b & 15];
    }
    return hex;
}

}  // namespace xdpdk::vm
