#include "event_ring.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace xdpdk::vm::maps {
namespace {

uint32_t record_bytes(uint32_t len) { return (len + EventRing::kHeaderSize + 7) & ~7u; }

std::atomic_ref<uint32_t> header_len(uint8_t* hdr) { return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(hdr)); }

Error ring_error(const std::string& what) {
    return make_error("event ring", what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<EventRing>> EventRing::create(uint64_t data_size) {
    std::unique_ptr<EventRing> ring(new EventRing());
    ring->size_ = data_size;
    ring->mapped_ = 2 * data_size;
    // The double mapping needs one file behind both views of the data.
    const int fd = memfd_create("xdpdk-event-ring", MFD_CLOEXEC);
    if (fd < 0) return ring_error("memfd_create");
    if (ftruncate(fd, static_cast<off_t>(data_size)) != 0) {
        close(fd);
        return ring_error("ftruncate");
    }
    void* base = mmap(nullptr, ring->mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        close(fd);
        return ring_error("mmap");
    }
    ring->data_ = static_cast<uint8_t*>(base);
    const bool ok =
        mmap(ring->data_, data_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED &&
        mmap(ring->data_ + data_size, data_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED;
    close(fd);
    if (!ok) return ring_error("mmap of the ring's pages");
    return ring;
}

EventRing::~EventRing() {
    if (data_ != nullptr) munmap(data_, mapped_);
}

void* EventRing::reserve(uint32_t len) {
    if (len > kMaxRecord || record_bytes(len) > size_) [[unlikely]] {
        lost_.store(lost_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return nullptr;
    }
    const uint64_t prod = producer_pos_.load(std::memory_order_relaxed);
    const uint64_t next = prod + record_bytes(len);
    if (next - consumer_pos_.load(std::memory_order_acquire) > size_ - 1) [[unlikely]] {
        lost_.store(lost_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return nullptr;
    }
    uint8_t* hdr = data_ + (prod & (size_ - 1));
    std::memset(hdr + 4, 0, 4);
    header_len(hdr).store(len | kBusyBit, std::memory_order_relaxed);
    // The busy header is visible before the new producer position.
    producer_pos_.store(next, std::memory_order_release);
    return hdr + kHeaderSize;
}

void EventRing::commit(void* sample, bool discard) {
    uint8_t* hdr = static_cast<uint8_t*>(sample) - kHeaderSize;
    uint32_t len = header_len(hdr).load(std::memory_order_relaxed);
    len &= ~kBusyBit;
    if (discard) len |= kDiscardBit;
    // The record's bytes are visible before its header says it is done.
    header_len(hdr).store(len, std::memory_order_release);
}

size_t EventRing::consume(const std::function<void(std::span<const uint8_t>)>& fn) {
    std::lock_guard<std::mutex> lock(consumers_);
    uint64_t cons = consumer_pos_.load(std::memory_order_relaxed);
    const uint64_t prod = producer_pos_.load(std::memory_order_acquire);
    size_t handed = 0;
    while (cons < prod) {
        uint8_t* hdr = data_ + (cons & (size_ - 1));
        const uint32_t len = header_len(hdr).load(std::memory_order_acquire);
        if (len & kBusyBit) break;
        const uint32_t bytes = len & ~(kBusyBit | kDiscardBit);
        if (!(len & kDiscardBit)) {
            fn(std::span<const uint8_t>(hdr + kHeaderSize, bytes));
            ++handed;
        }
        cons += record_bytes(bytes);
        // The record's room goes back to the producer once it has been read.
        consumer_pos_.store(cons, std::memory_order_release);
    }
    return handed;
}

}  // namespace xdpdk::vm::maps
