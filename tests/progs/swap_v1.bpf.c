/* Release 1 of the program swapped in tests (swap_stamp.h). */
#define SWAP_VERSION 1
#include "swap_stamp.h"
