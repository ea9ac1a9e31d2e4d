#include "lpm_trie.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "map_util.h"
#include "vm/reclaim.h"

namespace xdpdk::vm::maps {

struct LpmTrie::Node {
    std::atomic<Node*> child[2] = {nullptr, nullptr};
    uint32_t prefixlen = 0;
    // Intermediate nodes only join two subtrees and hold no value. A deleted
    // node with two children becomes one in place, like the kernel's.
    std::atomic<uint8_t> intermediate{0};
    // followed by data[data_size], then the value at an 8-aligned offset

    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this) + sizeof(Node); }
    uint8_t* data() { return reinterpret_cast<uint8_t*>(this) + sizeof(Node); }
};

namespace {
constexpr uint32_t kHeader = sizeof(uint32_t);  // prefixlen before the data
constexpr uint32_t kMaxDataSize = 256;
// LPM_VAL_SIZE_MAX: one kmalloc holding the kernel's node (24 bytes), data and value.
constexpr uint64_t kMaxValue = kKmallocMax - kMaxDataSize - 24;

using Node = LpmTrie::Node;

uint32_t key_prefixlen(const void* key) {
    uint32_t prefixlen;
    std::memcpy(&prefixlen, key, sizeof prefixlen);
    return prefixlen;
}
const uint8_t* key_data(const void* key) { return static_cast<const uint8_t*>(key) + kHeader; }

uint32_t bit_at(const uint8_t* data, uint32_t index) { return (data[index / 8] >> (7 - index % 8)) & 1; }

Node* load(const std::atomic<Node*>& link) { return link.load(std::memory_order_acquire); }

void free_node(void* node) {
    static_cast<Node*>(node)->~Node();
    std::free(node);
}
void retire(Node* node) { ReclaimDomain::global().retire(node, &free_node); }
}  // namespace

Result<std::unique_ptr<Map>> LpmTrie::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNoPrealloc | kFlagNumaNode | kFlagAccessMask));
    if (!(spec.flags & kFlagNoPrealloc))
        return map_error(spec, "lpm_trie maps need map_flags BPF_F_NO_PREALLOC, as in the kernel");
    if (spec.key_size < kHeader + 1 || spec.key_size > kHeader + kMaxDataSize) {
        return map_error(spec, "key_size must be 5..260 (a u32 prefixlen and 1..256 data bytes) for lpm_trie maps, not " +
                                   std::to_string(spec.key_size));
    }
    if (spec.value_size == 0) return map_error(spec, "value_size must be at least 1");
    if (spec.value_size > kMaxValue)
        return map_error(spec, "value_size " + std::to_string(spec.value_size) + " exceeds the kernel's limit of " +
                                   std::to_string(kMaxValue));
    return std::unique_ptr<Map>(new LpmTrie(spec, ncpus));
}

LpmTrie::LpmTrie(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus),
      data_size_(spec.key_size - kHeader),
      max_prefixlen_(8 * (spec.key_size - kHeader)),
      value_offset_(round_up8(sizeof(Node) + spec.key_size - kHeader)) {}

LpmTrie::~LpmTrie() {
    std::vector<Node*> todo;
    if (Node* root = root_.load(std::memory_order_relaxed)) todo.push_back(root);
    while (!todo.empty()) {
        Node* node = todo.back();
        todo.pop_back();
        for (auto& child : node->child)
            if (Node* c = child.load(std::memory_order_relaxed)) todo.push_back(c);
        free_node(node);
    }
}

uint8_t* LpmTrie::value_of(Node* node) const { return reinterpret_cast<uint8_t*>(node) + value_offset_; }

LpmTrie::Node* LpmTrie::new_node(uint32_t prefixlen, const uint8_t* data, const void* value) const {
    void* mem = std::calloc(1, value_offset_ + round_up8(spec_.value_size));
    if (mem == nullptr) return nullptr;
    auto* node = new (mem) Node;
    node->prefixlen = prefixlen;
    std::memcpy(node->data(), data, data_size_);
    if (value != nullptr) {
        std::memcpy(value_of(node), value, spec_.value_size);
    } else {
        node->intermediate.store(1, std::memory_order_relaxed);
    }
    return node;
}

// Leading bits `node` and the key share, up to the shorter of the two prefixes.
uint32_t LpmTrie::match_len(const Node* node, const uint8_t* data, uint32_t prefixlen) const {
    const uint32_t limit = node->prefixlen < prefixlen ? node->prefixlen : prefixlen;
    const uint8_t* mine = node->data();
    uint32_t bits = 0;
    for (uint32_t i = 0; bits < limit; i += 8, bits += 64) {
        if (i + 8 <= data_size_) {
            uint64_t a, b;
            std::memcpy(&a, mine + i, 8);
            std::memcpy(&b, data + i, 8);
            if (a != b) {
                bits += std::countl_zero(__builtin_bswap64(a ^ b));
                break;
            }
            continue;
        }
        for (; i < data_size_; ++i, bits += 8) {
            if (const uint8_t diff = mine[i] ^ data[i]) {
                bits += std::countl_zero(diff);
                break;
            }
        }
        break;
    }
    return bits < limit ? bits : limit;
}

LpmTrie::Node* LpmTrie::longest_match(const void* key) const {
    const uint8_t* data = key_data(key);
    const uint32_t prefixlen = key_prefixlen(key);
    Node* found = nullptr;
    // The kernel matches nothing for an impossible prefix length.
    if (prefixlen > max_prefixlen_) return nullptr;
    for (Node* node = load(root_); node != nullptr;) {
        const uint32_t matched = match_len(node, data, prefixlen);
        if (matched == max_prefixlen_) return node;
        if (matched < node->prefixlen) break;
        if (!node->intermediate.load(std::memory_order_acquire)) found = node;
        node = load(node->child[bit_at(data, node->prefixlen)]);
    }
    return found;
}

void* LpmTrie::lookup(const void* key, uint32_t) {
    Node* node = longest_match(key);
    return node != nullptr ? value_of(node) : nullptr;
}

long LpmTrie::update(const void* key, const void* value, uint64_t flags, uint32_t) {
    if (!valid_update_flags(flags)) return -EINVAL;
    const uint32_t prefixlen = key_prefixlen(key);
    const uint8_t* data = key_data(key);
    if (prefixlen > max_prefixlen_) return -EINVAL;
    Node* fresh = new_node(prefixlen, data, value);
    if (fresh == nullptr) return -ENOMEM;

    Node* replaced = nullptr;
    long rc = 0;
    {
        std::lock_guard<std::mutex> lock(writer_lock_);
        auto add_entry = [&]() -> long {
            if (flags == kExist) return -ENOENT;
            if (entries_ == spec_.max_entries) return -ENOSPC;
            ++entries_;
            return 0;
        };
        // Walk down while the node is a proper prefix of the key.
        std::atomic<Node*>* slot = &root_;
        Node* node;
        uint32_t matched = 0;
        while ((node = slot->load(std::memory_order_relaxed)) != nullptr) {
            matched = match_len(node, data, prefixlen);
            if (node->prefixlen != matched || node->prefixlen == prefixlen) break;
            slot = &node->child[bit_at(data, node->prefixlen)];
        }
        if (node == nullptr) {
            rc = add_entry();
            if (rc == 0) slot->store(fresh, std::memory_order_release);
        } else if (node->prefixlen == matched) {
            // The same prefix: take its place (an intermediate node holds no entry).
            if (!node->intermediate.load(std::memory_order_relaxed)) {
                if (flags == kNoExist) rc = -EEXIST;
            } else {
                rc = add_entry();
            }
            if (rc == 0) {
                for (int i = 0; i < 2; ++i)
                    fresh->child[i].store(node->child[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
                slot->store(fresh, std::memory_order_release);
                replaced = node;
            }
        } else if ((rc = add_entry()) == 0) {
            if (matched == prefixlen) {
                // The key covers `node`: insert it above.
                fresh->child[bit_at(node->data(), matched)].store(node, std::memory_order_relaxed);
                slot->store(fresh, std::memory_order_release);
            } else {
                // They diverge after `matched` bits: join them under an intermediate node.
                Node* join = new_node(matched, node->data(), nullptr);
                if (join == nullptr) {
                    --entries_;
                    rc = -ENOMEM;
                } else {
                    const uint32_t side = bit_at(data, matched);
                    join->child[side].store(fresh, std::memory_order_relaxed);
                    join->child[side ^ 1].store(node, std::memory_order_relaxed);
                    slot->store(join, std::memory_order_release);
                }
            }
        }
    }
    if (rc != 0) free_node(fresh);
    if (replaced != nullptr) retire(replaced);
    return rc;
}

long LpmTrie::remove(const void* key) {
    const uint32_t prefixlen = key_prefixlen(key);
    const uint8_t* data = key_data(key);
    if (prefixlen > max_prefixlen_) return -EINVAL;
    Node* dead[2] = {nullptr, nullptr};
    {
        std::lock_guard<std::mutex> lock(writer_lock_);
        // `slot` points at the node, `parent_slot` at its parent.
        std::atomic<Node*>* slot = &root_;
        std::atomic<Node*>* parent_slot = slot;
        Node* parent = nullptr;
        Node* node;
        uint32_t matched = 0;
        while ((node = slot->load(std::memory_order_relaxed)) != nullptr) {
            matched = match_len(node, data, prefixlen);
            if (node->prefixlen != matched || node->prefixlen == prefixlen) break;
            parent = node;
            parent_slot = slot;
            slot = &node->child[bit_at(data, node->prefixlen)];
        }
        if (node == nullptr || node->prefixlen != prefixlen || matched != prefixlen ||
            node->intermediate.load(std::memory_order_relaxed))
            return -ENOENT;
        --entries_;
        Node* left = node->child[0].load(std::memory_order_relaxed);
        Node* right = node->child[1].load(std::memory_order_relaxed);
        if (left != nullptr && right != nullptr) {
            node->intermediate.store(1, std::memory_order_release);
            return 0;
        }
        if (left == nullptr && right == nullptr && parent != nullptr &&
            parent->intermediate.load(std::memory_order_relaxed)) {
            // The intermediate parent would keep one child: its sibling replaces it.
            const bool is_left = parent->child[0].load(std::memory_order_relaxed) == node;
            parent_slot->store(parent->child[is_left ? 1 : 0].load(std::memory_order_relaxed),
                               std::memory_order_release);
            dead[1] = parent;
        } else {
            slot->store(left != nullptr ? left : right, std::memory_order_release);
        }
        dead[0] = node;
    }
    for (Node* node : dead)
        if (node != nullptr) retire(node);
    return 0;
}

long LpmTrie::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    std::lock_guard<std::mutex> lock(writer_lock_);
    Node* node = longest_match(key);
    if (node == nullptr) return -ENOENT;
    std::memcpy(value_out, value_of(node), spec_.value_size);
    return 0;
}

long LpmTrie::user_update(const void* key, const void* value, uint64_t flags) {
    return user_write(*this, [&] { return update(key, value, flags, 0); });
}

long LpmTrie::user_delete(const void* key) {
    return user_write(*this, [&] { return remove(key); });
}

// Post-order, as the kernel: the entry after `key` is the first entry of the
// right subtree of the nearest ancestor that has one on the other side, or that
// ancestor itself when it holds an entry. A missing key restarts at the first.
long LpmTrie::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    std::lock_guard<std::mutex> lock(writer_lock_);
    auto child = [](const Node* n, int i) { return n->child[i].load(std::memory_order_relaxed); };
    auto is_entry = [](const Node* n) { return n->intermediate.load(std::memory_order_relaxed) == 0; };
    Node* subtree = root_.load(std::memory_order_relaxed);  // take its first entry
    Node* next = nullptr;                                   // or this one
    if (subtree == nullptr) return -ENOENT;

    if (key != nullptr && key_prefixlen(key) <= max_prefixlen_) {
        const uint32_t prefixlen = key_prefixlen(key);
        const uint8_t* data = key_data(key);
        std::vector<Node*> path;
        Node* node = subtree;
        uint32_t matched = 0;
        for (; node != nullptr; node = child(node, bit_at(data, node->prefixlen))) {
            path.push_back(node);
            matched = match_len(node, data, prefixlen);
            if (node->prefixlen != matched || node->prefixlen == prefixlen) break;
        }
        if (node != nullptr && node->prefixlen == prefixlen && matched == prefixlen && is_entry(node)) {
            subtree = nullptr;
            for (size_t depth = path.size() - 1; depth > 0; --depth) {
                const Node* parent = path[depth - 1];
                if (child(parent, 0) == path[depth] && child(parent, 1) != nullptr) {
                    subtree = child(parent, 1);
                    break;
                }
                if (is_entry(parent)) {
                    next = path[depth - 1];
                    break;
                }
            }
            if (subtree == nullptr && next == nullptr) return -ENOENT;
        }
    }
    // The first entry in post-order is the leaf reached by going left where
    // possible (intermediate nodes always have two children, so it is an entry).
    for (Node* node = subtree; node != nullptr;) {
        next = node;
        Node* down = child(node, 0);
        node = down != nullptr ? down : child(node, 1);
    }
    const uint32_t prefixlen = next->prefixlen;
    std::memcpy(next_out, &prefixlen, sizeof prefixlen);
    std::memcpy(static_cast<uint8_t*>(next_out) + kHeader, next->data(), data_size_);
    return 0;
}

}  // namespace xdpdk::vm::maps
