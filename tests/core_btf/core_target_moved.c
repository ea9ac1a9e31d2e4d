// A target layout for tests/progs/core_*.bpf.c: every field moved, count
// grown to 64 bits, `gone` removed, the bitfields shifted, enum values
// renumbered and CORE_GREEN dropped. Built with -g for its .BTF only.
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

struct core_point {
    long pad;
    int x;
    int y;
};

struct core_rec {
    __u64 stamp;
    __u32 id;
    struct core_point pt;
    unsigned int spare : 7;
    unsigned int lo : 3;
    int sval : 5;
    __u64 count;
    int arr[4];
};

enum core_color { CORE_BLUE = 7, CORE_RED = 9 };

struct core_flag {
    __u32 pad;
    __u16 bits;
};

struct core_rec core_rec_v;
enum core_color core_color_v;
struct core_flag core_flag_v;

enum core_big { CORE_BIG = 0x80000010u };
enum core_big core_big_v;
