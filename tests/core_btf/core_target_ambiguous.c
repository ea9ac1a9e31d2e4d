// A target with two flavors of struct core_rec that disagree on where `id`
// is: relocations of core_rec are ambiguous (test_core_reloc).
typedef unsigned int __u32;

struct core_rec___v1 {
    __u32 id;
    __u32 gone;
};

struct core_rec___v2 {
    __u32 gone;
    __u32 id;
};

struct core_rec___v1 core_rec_v1;
struct core_rec___v2 core_rec_v2;
